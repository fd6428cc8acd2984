"""Merge into…: one customer that is another one twice goes into it (``otrs_customer_admin.merge``).

Two steps on one URL: without ``into`` the page asks which customer (an autocomplete of the valid
customers, and this customer's possible duplicates as shortcuts); with ``into`` it lists exactly
what the merge moves and changes. Only a POST of that page merges.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...admin_urls import may_change_people
from ...bidi import Phrase
from ...merge import MergeRefused, merge_customers, plan_merge, source_refusals
from ...models import Customer, CustomerUser
from ...models.visibility import RW, may_change, restricted
from .pages import RecordPageMixin

# How many possible duplicates the first step offers as shortcuts.
DUPLICATES_OFFERED = 10


class CustomerPicker(AutocompleteSelect):
    """The admin's autocomplete, which shows a chosen value that is no key at all ("x") as nothing
    instead of failing to look it up."""

    def optgroups(self, name, value, attrs=None):
        key = self.choices.queryset.model._meta.pk
        keys = []
        for item in value:
            try:
                keys.append(key.to_python(item))
            except ValidationError:
                continue
        return super().optgroups(name, keys, attrs)


class MergeTargetForm(forms.Form):
    """INTO: a valid customer other than FROM, picked through the admin's customer autocomplete."""

    def __init__(self, *args, source, admin_site, user, **kwargs):
        super().__init__(*args, **kwargs)
        refused = (
            gettext_lazy("Choose a valid customer other than this one, that your groups let you change.")
            if restricted(user, RW)
            else gettext_lazy("Choose a valid customer other than this one.")
        )
        self.fields["into"] = forms.ModelChoiceField(
            label=gettext_lazy("Merge into"),
            queryset=merge_targets(source, user),
            # The customer users' customer field names the autocomplete's source (valid customers only).
            widget=CustomerPicker(CustomerUser._meta.get_field("customer"), admin_site),
            help_text=gettext_lazy("The customer that stays: a valid customer. Search by CustomerID, name or city."),
            error_messages={"invalid_choice": refused},
        )


def merge_targets(source, user):
    """The customers ``source`` may be merged into by ``user``: valid ones their groups let them change."""
    return Customer.objects.valid().changeable_by(user).exclude(pk=source.pk)


class MergeCustomersMixin(RecordPageMixin):
    merge_choose_template = "otrs_customer_admin/merge_choose.html"
    merge_confirm_template = "otrs_customer_admin/confirm_merge.html"

    def get_urls(self):
        merge = path(
            "<path:object_id>/merge/", self.admin_site.admin_view(self.merge_view), name=self.url_name("merge")
        )
        return [merge, *super().get_urls()]

    def has_merge_permission(self, request, obj=None):
        """Change permission on customers and on customer users, and ``obj`` (FROM) one the user's groups
        let them change; never for a read-only ``obj``."""
        return may_change_people(self.admin_site, request) and not (
            obj is not None and (obj.is_read_only or not may_change(request.user, obj))
        )

    def merge_view(self, request, object_id):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        source = self.get_viewable_object(request, object_id)
        if not self.has_merge_permission(request) or not may_change(request.user, source):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        form = MergeTargetForm(
            data if "into" in data else None, source=source, admin_site=self.admin_site, user=request.user
        )
        if not form.is_valid() or source_refusals(source):
            return self.merge_choose_page(request, source, form)
        target = form.cleaned_data["into"]
        if request.method == "POST":
            return self.merge(request, source, target)
        return self.merge_confirm_page(request, source, target)

    def merge_choose_page(self, request, source, form):
        duplicates = []
        if source.name_match_key:
            duplicates = list(
                merge_targets(source, request.user)
                .filter(name_match_key=source.name_match_key)
                .order_by("name_key")[:DUPLICATES_OFFERED]
            )
        context = {
            "original": source,
            "original_title": self.detail_title(source),
            **self.phrase_titles(
                Phrase(_("Merge %(customer)s into another customer"), customer=self.detail_title(source))
            ),
            "form": form,
            "media": form.media,
            "refusals": source_refusals(source),
            "duplicates": duplicates,
            "merge_url": self.admin_url("merge", quote(source.pk)),
            "cancel_url": self.admin_url("detail", quote(source.pk)),
        }
        return self.render_page(request, self.merge_choose_template, context)

    def merge_confirm_page(self, request, source, target):
        plan = plan_merge(source, target, request.user)
        context = {
            "original": source,
            "source_title": self.detail_title(source),
            "target_title": self.detail_title(target),
            **self.phrase_titles(
                Phrase(
                    _("Merge %(source)s into %(target)s?"),
                    source=self.detail_title(source),
                    target=self.detail_title(target),
                )
            ),
            "plan": plan,
            "target_url": self.admin_url("detail", quote(target.pk)),
            "choose_url": self.admin_url("merge", quote(source.pk)),
            "cancel_url": self.admin_url("detail", quote(source.pk)),
        }
        return self.render_page(request, self.merge_confirm_template, context)

    def merge(self, request, source, target):
        try:
            # What the confirm page showed is what is merged: its plan's state comes with the POST.
            report = merge_customers(
                source, target, user=request.user, planned=request.POST.get("planned"), viewer=request.user
            )
        except MergeRefused as refused:
            messages.error(request, _("Nothing was merged: %(reasons)s") % {"reasons": " ".join(refused.reasons)})
            return HttpResponseRedirect(self.admin_url("merge", quote(source.pk), query={"into": target.pk}))
        message = Phrase(
            _("%(source)s was merged into %(target)s: %(moved)s moved."),
            source=self.detail_title(report.plan.source),
            target=self.detail_title(report.plan.target),
            moved=report.moved_summary(),
        )
        messages.success(request, message.html())
        return HttpResponseRedirect(self.admin_url("detail", quote(target.pk)))
