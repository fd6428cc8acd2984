"""The detail pages: ``DetailPageMixin``, a record's read-only page with its title and actions,
and ``DetailViewMixin``, that page with widgets (``otrs_customer_admin.widgets``) in each admin
user's own arrangement."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ...widgets import Layout, get_widget
from .pages import RecordPageMixin


class DetailPageMixin(RecordPageMixin):
    """``<id>/detail/``: the record's title and action groups, and what ``get_detail_context`` adds,
    in ``page_templates("detail")``."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        detail = path("<path:object_id>/detail/", wrap(self.detail_view), name=self.url_name("detail"))
        return [detail, *super().get_urls()]

    def get_detail_queryset(self, request):
        """The records the detail page shows, with what it shows of them (annotations, joins)."""
        return self.get_queryset(request)

    def get_detail_context(self, request, obj):
        """The page's own context besides ``original``, its title and ``action_groups``."""
        return {}

    def detail_view(self, request, object_id):
        obj = self.get_viewable_object(request, object_id, self.get_detail_queryset(request))
        request.current_app = self.admin_site.name  # before anything renders a link
        context = {
            "original": obj,
            **self.title_context(obj),
            "action_groups": [group for group in self.detail_actions(request, obj) if group.actions],
            **self.get_detail_context(request, obj),
        }
        return self.render_page(request, self.page_templates("detail"), context)


class DetailViewMixin(DetailPageMixin):
    def get_urls(self):
        widgets = path("widgets/", self.admin_site.admin_view(self.widgets_view), name=self.url_name("widgets"))
        return [widgets, *super().get_urls()]

    def get_detail_context(self, request, obj):
        layout = Layout(request.user, self.opts.model_name)
        widgets, hidden = self.render_widgets(request, obj, layout)
        return {
            "widgets": widgets,
            "hidden_widgets": hidden,
            "layout": layout,
            "widgets_url": self.admin_url("widgets"),
            "next_url": request.get_full_path(),
        }

    def permitted_widgets(self, request, layout, obj=None):
        """The widgets of ``layout.available`` this user may see, by key."""
        widgets = {key: get_widget(key, self) for key in layout.available}
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
