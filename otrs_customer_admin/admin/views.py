"""The pages OTRS has beyond Django's list and form: detail view, business card,
"Set invalid", and the "Select Data Source" step of adding a record.

``RecordPagesMixin`` adds them to a ModelAdmin; the customer and customer-user
admins fill in what differs (``detail_title``, ``detail_actions``); the widgets
of ``otrs_customer_admin.widgets`` fill the detail view.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods
from unfold.decorators import display

from ..conf import settings
from ..datasources import writable_data_sources
from ..models import Validity
from ..widgets import Layout, get_widget
from .display import reverse_one
from .forms import SelectDataSourceForm


def admin_url(model_admin, view, *args, query=""):
    """The URL of one of ``model_admin``'s views (``"add"``, ``"change"``, ``"detail"``…)."""
    opts = model_admin.opts
    name = f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}"
    if len(args) == 1:
        url = reverse_one(name, args[0], model_admin.admin_site.name)
    else:
        url = reverse(name, args=args, current_app=model_admin.admin_site.name)
    return f"{url}?{query}" if query else url


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


class RecordPagesMixin:
    """Detail view, business card, "Set invalid" and the data-source step."""

    view_on_site = False
    change_form_outer_before_template = "otrs_customer_admin/change_form_header.html"
    detail_template = "otrs_customer_admin/detail.html"
    card_template = None
    invalidate_template = "otrs_customer_admin/confirm_invalidate.html"
    select_source_template = "otrs_customer_admin/select_data_source.html"

    # --- URLs ------------------------------------------------------------------

    def url_name(self, view):
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def admin_url(self, view, *args, query=""):
        return admin_url(self, view, *args, query=query)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("<path:object_id>/detail/", wrap(self.detail_view), name=self.url_name("detail")),
            path("<path:object_id>/card/", wrap(self.card_view), name=self.url_name("card")),
            path("<path:object_id>/invalidate/", wrap(self.invalidate_view), name=self.url_name("invalidate")),
            path("widgets/", wrap(self.widgets_view), name=self.url_name("widgets")),
        ]
        return own + super().get_urls()

    # --- permissions -----------------------------------------------------------

    def has_add_permission(self, request):
        return bool(writable_data_sources()) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_read_only) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not settings.ALLOW_DELETE or (obj is not None and obj.is_read_only):
            return False
        return super().has_delete_permission(request, obj)

    def has_invalidate_permission(self, request, obj):
        return obj.is_valid and self.has_change_permission(request, obj)

    def get_viewable_object(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise self.object_not_found()
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def object_not_found(self):
        return Http404(_("%(name)s not found.") % {"name": capfirst(self.opts.verbose_name)})

    # --- detail view -----------------------------------------------------------

    def detail_title(self, obj):
        return str(obj)

    def detail_actions(self, request, obj):
        """The action groups of the detail page; subclasses extend this."""
        organize = ActionGroup(_("Organize"))
        if self.has_change_permission(request, obj):
            organize.actions.append(Action(_("Edit"), self.admin_url("change", quote(obj.pk)), "edit"))
        if self.has_invalidate_permission(request, obj):
            organize.actions.append(Action(_("Set invalid"), self.admin_url("invalidate", quote(obj.pk)), "block"))
        return [organize]

    def detail_view(self, request, object_id):
        obj = self.get_viewable_object(request, object_id)
        groups = [group for group in self.detail_actions(request, obj) if group.actions]
        layout = Layout(request.user, self.opts.model_name)
        widgets, hidden = self.render_widgets(request, obj, layout)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": self.detail_title(obj),
            "action_groups": groups,
            "widgets": widgets,
            "hidden_widgets": hidden,
            "layout": layout,
            "widgets_url": self.admin_url("widgets"),
            "next_url": request.get_full_path(),
        }
        return TemplateResponse(request, self.detail_template, context)

    def permitted_widgets(self, request, layout, obj=None):
        """The widgets of ``layout.available`` this user may see, by key."""
        widgets = {key: get_widget(key) for key in layout.available}
        return {key: widget for key, widget in widgets.items() if widget.has_permission(request, obj)}

    def render_widgets(self, request, obj, layout):
        """The HTML of the user's visible widgets, and the hidden ones they may show."""
        allowed = self.permitted_widgets(request, layout, obj)
        visible = [key for key in layout.visible if key in allowed]
        rendered = []
        for position, key in enumerate(visible):
            controls = {
                "url": self.admin_url("widgets"),
                "next": request.get_full_path(),
                "buttons": [
                    ("up", _("Move up"), "arrow_upward", position > 0),
                    ("down", _("Move down"), "arrow_downward", position < len(visible) - 1),
                    ("hide", _("Hide"), "visibility_off", True),
                ],
            }
            rendered.append(allowed[key].render(request, obj, {"controls": controls, "opts": self.opts}))
        hidden = [allowed[key] for key in layout.hidden if key in allowed]
        return rendered, hidden

    def widgets_view(self, request):
        """POST: hide, show or move a widget, or reset the screen, for the current user."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        layout = Layout(request.user, self.opts.model_name)
        action = request.POST.get("action")
        if action == "reset":
            layout.reset()
            messages.success(request, _("The screen shows the default widgets again."))
        elif action not in Layout.ACTIONS or not layout.change(
            action, request.POST.get("widget", ""), shown=self.permitted_widgets(request, layout)
        ):
            messages.warning(request, _("That change to the screen does not apply."))
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = self.admin_url("changelist")
        return HttpResponseRedirect(next_url)

    # --- business card ---------------------------------------------------------

    def card_view(self, request, object_id):
        obj = self.get_viewable_object(request, object_id)
        context = {"object": obj, "opts": self.opts}
        return TemplateResponse(request, self.card_template, context)

    # --- Set invalid -----------------------------------------------------------

    def invalidate_view(self, request, object_id):
        return require_http_methods(["GET", "POST"])(self._invalidate)(request, object_id)

    def _invalidate(self, request, object_id):
        obj = self.get_viewable_object(request, object_id)
        if not self.has_invalidate_permission(request, obj):
            raise PermissionDenied
        detail_url = self.admin_url("detail", quote(obj.pk))
        if request.method == "POST":
            obj.valid = Validity.INVALID
            obj.save(update_fields=["valid", "changed_at"])
            self.log_change(
                request, obj, [{"changed": {"fields": [str(capfirst(self.opts.get_field("valid").verbose_name))]}}]
            )
            messages.success(request, _("%(object)s is now invalid.") % {"object": obj})
            return HttpResponseRedirect(detail_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": _("Set %(object)s invalid?") % {"object": obj},
            "cancel_url": detail_url,
        }
        return TemplateResponse(request, self.invalidate_template, context)

    # --- add: the Select Data Source step ----------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        sources = writable_data_sources()
        chosen = request.GET.get("data_source")
        if request.method == "GET" and len(sources) > 1 and chosen not in {source.key for source in sources}:
            if not self.has_add_permission(request):
                raise PermissionDenied
            return self.select_data_source_view(request, sources)
        return super().add_view(request, form_url, extra_context)

    def select_data_source_view(self, request, sources):
        form = SelectDataSourceForm(sources=sources, initial={"data_source": sources[0].key})
        # Keep the other prefill parameters (e.g. ?customer=) for the form step.
        kept = [(key, value) for key, value in request.GET.items() if key != "data_source"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add %(name)s: select data source") % {"name": self.opts.verbose_name},
            "form": form,
            "kept_parameters": kept,
        }
        return TemplateResponse(request, self.select_source_template, context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        writable = [source.key for source in writable_data_sources()]
        if initial.get("data_source") not in writable and writable:
            initial["data_source"] = writable[0]
        return initial

    # --- change form ---------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None and self.has_invalidate_permission(request, obj):
            extra_context["invalidate_url"] = self.admin_url("invalidate", quote(obj.pk))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_fieldsets(self, request, obj=None):
        # A record's source is chosen when it is added; moving it is not an edit.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (
                title,
                {**options, "fields": [SOURCE_LABEL if name == "data_source" else name for name in options["fields"]]},
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, SOURCE_LABEL] if obj is not None else fields

    @display(description=_lazy("Data source"), ordering="data_source")
    def data_source_label(self, obj):
        source = obj.source
        return source.label if source else obj.data_source


SOURCE_LABEL = "data_source_label"
