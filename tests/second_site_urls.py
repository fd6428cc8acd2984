"""A URLconf with a second admin site, named ``helpdesk``, beside the default one."""

from django.contrib import admin
from django.urls import path
from unfold.sites import UnfoldAdminSite

from otrs_customer_admin.admin.sites import register

helpdesk_site = UnfoldAdminSite(name="helpdesk")
register(helpdesk_site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", helpdesk_site.urls),
]
