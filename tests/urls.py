"""The tests' URLs: the admin at ``/admin/``, as in the example site."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
