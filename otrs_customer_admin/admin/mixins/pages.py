"""What the pages of the other mixins share: their URLs, the object they show, rendering."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ...admin_urls import admin_url, url_name
from ...bidi import Phrase


class RecordPageMixin:
    def url_name(self, view):
        return url_name(self.model, view)

    def admin_url(self, view, *args, query=None):
        """The URL of this model's ``view`` on this admin's site (see ``admin_urls.admin_url``)."""
        return admin_url(self.admin_site, self.model, view, *args, query=query)

    def get_viewable_object(self, request, object_id):
        """The object of a page's URL; 404 when there is none, 403 when the user may not view it."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("%(name)s not found.") % {"name": capfirst(self.opts.verbose_name)})
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def detail_title(self, obj):
        """``obj``'s title, a ``bidi.Phrase`` of its user values: HTML in a heading, text in a ``<title>``."""
        return Phrase("%(object)s", object=obj)

    def title_context(self, obj):
        """``title`` (plain text, for the ``<title>``) and ``heading`` (HTML) of ``obj``'s page."""
        return self.phrase_titles(self.detail_title(obj))

    @staticmethod
    def phrase_titles(phrase):
        """A page's ``title`` (plain text, for the ``<title>``) and ``heading`` (HTML) from one ``Phrase``."""
        return {"title": str(phrase), "heading": phrase.html()}

    def history_view(self, request, object_id, extra_context=None):
        # Django's title names str(obj); this one isolates each user value in it.
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            title = _("Change history: %s") % self.detail_title(obj)
            extra_context = {"title": title, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def render_page(self, request, template, context, *, admin_chrome=True):
        """A page of this admin: its site's context (menu, title) unless ``admin_chrome`` is off,
        and ``request.current_app`` set, as Django's own admin views do, so that ``{% url %}``
        reverses to this site."""
        request.current_app = self.admin_site.name
        base = self.admin_site.each_context(request) if admin_chrome else {}
        return TemplateResponse(request, template, {**base, "opts": self.opts, **context})
