"""Admin classes for unfold-themed sites.

The app registers them on ``django.contrib.admin.site`` when it is ready; a site
with its own ``UnfoldAdminSite`` calls ``otrs_customer_admin.admin.sites.register(site)``.
This package module imports nothing, so that settings can import
``otrs_customer_admin.admin.navigation`` before the apps are loaded.
"""
