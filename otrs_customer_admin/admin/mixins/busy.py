"""A database busy with another write is a message, not a 500, on every page of an admin.

On SQLite one process writes at a time; a long import or sync holds the lock, and a save that
waited the database's ``timeout`` in vain fails with "database is locked". The page's
transaction was rolled back, so nothing was saved: the user is sent back to the page the form
was on, which says so. Pages that only read are not held up by a write (WAL).
"""

from functools import wraps

from django.contrib import messages
from django.db import OperationalError
from django.http import HttpResponseRedirect
from django.urls import URLPattern
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ...admin_urls import admin_url
from ...busy import is_database_busy


class DatabaseBusyMixin:
    @property
    def urls(self):
        # Every view of this admin, the package's own pages and Django's alike, whichever
        # mixin's get_urls() added them: the site includes what this property returns.
        return [self.busy_aware_pattern(pattern) for pattern in self.get_urls()]

    def busy_aware_pattern(self, pattern):
        if not isinstance(pattern, URLPattern):
            return pattern
        view = pattern.callback

        @wraps(view)
        def busy_aware(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except OperationalError as error:
                if request.method != "POST" or not is_database_busy(error):
                    raise
                return self.database_busy_response(request)

        return URLPattern(pattern.pattern, busy_aware, pattern.default_args, pattern.name)

    def database_busy_response(self, request):
        messages.error(
            request,
            _(
                "The database is busy with another write (an import or a sync?). "
                "Nothing was saved; try again in a moment."
            ),
        )
        # Back to the page the form was on: the change form, the detail view, the merge page.
        back = request.POST.get("next") or request.headers.get("referer") or request.get_full_path()
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = admin_url(self.admin_site, self.model, "changelist")
        return HttpResponseRedirect(back)
