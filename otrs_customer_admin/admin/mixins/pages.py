"""What the record pages of the other mixins share: their URLs, templates and titles, the
object they show, its actions and its links, rendering.

Each page fetches its record from a queryset of its own (``get_detail_queryset``,
``get_card_queryset``, as simple-history's ``get_history_queryset``), never by asking which
URL the request came through: a page called from a test or from a site's own view is the same page.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Media
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from unfold.decorators import action

from ...admin_urls import admin_url, record_links, site_admin, url_name
from ...bidi import Phrase


@dataclass
class Action:
    title: str
    url: str
    icon: str = ""


@dataclass
class ActionGroup:
    """A column of actions on a detail page (OTRS's "Organize", "People", …)."""

    title: str
    actions: list[Action] = field(default_factory=list)


def record_action(*, permission, **options):
    """unfold's ``@action`` for an ``actions_detail`` entry that acts on one record.

    The button shows, and the view runs, only where ``has_<permission>_permission(request, obj)``
    allows it for that record (unfold's own ``permissions`` would hand that method the id from the
    URL). The view is called with the record instead of its id: ``view(self, request, obj)``.
    ``options`` are unfold's: ``description``, ``url_path``, ``icon``…
    """

    def decorate(function):
        @wraps(function)
        def view(model_admin, request, object_id):
            obj = model_admin.get_viewable_object(request, object_id)
            if not model_admin.has_record_permission(request, permission, obj):
                raise PermissionDenied
            return function(model_admin, request, obj)

        view.record_permission = permission
        return action(**options)(view)

    return decorate


class RecordPageMixin:
    # The package's stylesheet and the business-card script: Django's admin pages render an
    # admin's media, and the package's own pages get it from render_page.
    class Media:
        css = {"all": ["otrs_customer_admin/otrs_customer_admin.css"]}
        js = ["otrs_customer_admin/cards.js"]

    def url_name(self, view):
        return url_name(self.model, view)

    def admin_url(self, view, *args, query=None):
        """The URL of this model's ``view`` on this admin's site (see ``admin_urls.admin_url``)."""
        return admin_url(self.admin_site, self.model, view, *args, query=query)

    def page_templates(self, page):
        """The templates of ``page`` ("detail", "card"), the first that exists wins, as Django
        admin's ``change_form_template`` list: this model's own, then the shared one."""
        return [f"otrs_customer_admin/{self.opts.model_name}/{page}.html", f"otrs_customer_admin/{page}.html"]

    def get_viewable_object(self, request, object_id, queryset=None):
        """The object of a page's URL, from ``queryset`` (the admin's ``get_queryset`` if none);
        404 when there is none, 403 when the user may not view it."""
        queryset = self.get_queryset(request) if queryset is None else queryset
        try:
            obj = queryset.get(pk=self.opts.pk.to_python(unquote(object_id)))
        except (self.model.DoesNotExist, ValidationError, ValueError):
            raise Http404(_("%(name)s not found.") % {"name": capfirst(self.opts.verbose_name)}) from None
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    # --- titles ---

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

    # --- actions ---

    def has_edit_permission(self, request, obj):
        """Whether ``obj``'s change form lets the user change something (the Edit action)."""
        return self.has_change_permission(request, obj)

    def has_record_permission(self, request, permission, obj):
        """``has_<permission>_permission(request, obj)``: each takes the record or ``None``, as Django's do."""
        return getattr(self, f"has_{permission}_permission")(request, obj)

    def record_detail_actions(self, request, obj):
        """unfold's ``actions_detail`` entries this user may run on ``obj``: those unfold's own
        ``permissions`` allow, and of those made by ``record_action``, those its permission allows for ``obj``."""
        allowed = super().get_actions_detail(request, quote(obj.pk))
        return [
            entry
            for entry in allowed
            if not hasattr(entry.method, "record_permission")
            or self.has_record_permission(request, entry.method.record_permission, obj)
        ]

    def get_actions_detail(self, request, object_id):
        # unfold's change form asks with the id from its URL.
        if not self.actions_detail:
            return []  # and fetches no record for nothing
        obj = self.get_object(request, unquote(str(object_id)))
        return [] if obj is None else self.record_detail_actions(request, obj)

    def detail_actions(self, request, obj):
        """The action groups of ``obj``'s detail page: "Organize" with Edit, then unfold's
        ``actions_detail`` (as on the change form). Subclasses add their own."""
        organize = ActionGroup(_("Organize"))
        if self.has_edit_permission(request, obj):
            organize.actions.append(Action(_("Edit"), self.admin_url("change", quote(obj.pk)), "edit"))
        for entry in self.record_detail_actions(request, obj):
            url = reverse(f"{self.admin_site.name}:{entry.action_name}", args=[quote(obj.pk)])
            organize.actions.append(Action(str(entry.description), url, entry.icon or ""))
        return [organize]

    # --- links and rendering ---

    def record_links(self, obj):
        """``obj``'s detail and card URLs on this site, or ``None`` when the site has no admin for it."""
        if obj is None or site_admin(self.admin_site, type(obj)) is None:
            return None
        return record_links(self.admin_site, obj)

    def render_page(self, request, template, context, *, admin_chrome=True):
        """A page of this admin: its site's context (menu, title) unless ``admin_chrome`` is off,
        and ``request.current_app`` set, as Django's own admin views do, so that ``{% url %}``
        reverses to this site."""
        request.current_app = self.admin_site.name
        base = self.admin_site.each_context(request) if admin_chrome else {}
        media = self.media + context.get("media", Media())
        return TemplateResponse(request, template, {**base, "opts": self.opts, **context, "media": media})
