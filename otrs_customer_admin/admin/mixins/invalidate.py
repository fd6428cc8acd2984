"""OTRS's "Set invalid": records are retired, never deleted.

It is one of unfold's ``actions_detail``: a button on the change form, and an action on the
detail page (``RecordPageMixin.detail_actions``); both open a confirmation page, and only its
POST changes the record.
"""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...bidi import Phrase
from .history import remember_values
from .pages import RecordPageMixin, record_action


class SetInvalidMixin(RecordPageMixin):
    invalidate_template = "otrs_customer_admin/confirm_invalidate.html"
    actions_detail = ["invalidate"]

    def has_invalidate_permission(self, request, obj=None):
        """Whether the user may set ``obj`` invalid: a valid record they may change (not a directory's,
        even where its dynamic fields may change); without ``obj``, whether they may change records
        at all (as ``has_change_permission``)."""
        return (obj is None or (obj.is_valid and not obj.is_read_only)) and self.has_change_permission(request, obj)

    @record_action(
        permission="invalidate", description=gettext_lazy("Set invalid"), url_path="invalidate", icon="block"
    )
    def invalidate(self, request, obj):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        detail_url = self.admin_url("detail", quote(obj.pk))
        if request.method == "POST":
            valid_before = obj.valid
            obj.invalidate()
            remember_values(request, obj, {"valid": (valid_before, obj.valid)})
            changed = str(capfirst(self.opts.get_field("valid").verbose_name))
            self.log_change(request, obj, [{"changed": {"fields": [changed]}}])
            messages.success(request, Phrase(_("%(object)s is now invalid."), object=self.detail_title(obj)).html())
            return HttpResponseRedirect(detail_url)
        context = {
            "original": obj,
            "object_title": self.detail_title(obj),
            "title": str(Phrase(_("Set %(object)s invalid?"), object=self.detail_title(obj))),
            "cancel_url": detail_url,
        }
        return self.render_page(request, self.invalidate_template, context)
