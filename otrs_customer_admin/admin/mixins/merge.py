"""Merge into…: a record that is another one twice goes into it (``otrs_customer_admin.merge``):
a customer into a customer, a customer user into a customer user.

Two steps on one URL: without ``into`` the page asks which record (an autocomplete of the valid
ones, and this record's possible duplicates as shortcuts); with ``into`` it lists exactly what the
merge moves and changes. Only a POST of that page merges. ``MergeMixin`` is the two steps;
``MergeCustomersMixin`` and ``MergeCustomerUsersMixin`` say what is merged and in which words.
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

from ...admin_urls import may_change, may_change_people
from ...bidi import Phrase
from ...merge import (
    MergeRefused,
    customer_user_source_refusals,
    merge_customer_users,
    merge_customers,
    plan_merge,
    plan_merge_customer_users,
    source_refusals,
)
from ...models import Customer, CustomerUser, Ticket
from ...models.visibility import RW, restricted
from ...models.visibility import may_change as may_change_record
from .pages import RecordPageMixin

# How many possible duplicates the first step offers as shortcuts.
DUPLICATES_OFFERED = 10


class RecordPicker(AutocompleteSelect):
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


CustomerPicker = RecordPicker


class MergeTargetForm(forms.Form):
    """INTO: a valid record other than FROM that the user may change, picked through the admin's
    autocomplete of ``picker_field`` (a foreign key to the records' model, whose picker offers valid ones)."""

    def __init__(self, *args, queryset, picker_field, admin_site, help_text, refused, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"] = forms.ModelChoiceField(
            label=gettext_lazy("Merge into"),
            queryset=queryset,
            widget=RecordPicker(picker_field, admin_site),
            help_text=help_text,
            error_messages={"invalid_choice": refused},
        )


class MergeMixin(RecordPageMixin):
    """The two steps of "Merge into…" on a record's detail view; the subclass names the engine and the words."""

    merge_choose_template = "otrs_customer_admin/merge_choose.html"
    merge_confirm_template = "otrs_customer_admin/confirm_merge.html"
    # What the confirm page lists of a plan (included in merge_confirm_template).
    merge_sections_template = None

    def get_urls(self):
        merge = path(
            "<path:object_id>/merge/", self.admin_site.admin_view(self.merge_view), name=self.url_name("merge")
        )
        return [merge, *super().get_urls()]

    # --- what the subclass says ---

    def merge_targets(self, source, user):
        """The records ``source`` may be merged into by ``user``."""
        raise NotImplementedError

    def merge_form(self, data, source, user):
        raise NotImplementedError

    def merge_source_refusals(self, source):
        raise NotImplementedError

    def merge_duplicates(self, request, source):
        """Possible duplicates of ``source`` among its merge targets, as shortcuts."""
        return []

    def merge_plan(self, source, target, viewer):
        raise NotImplementedError

    def merge_records(self, source, target, *, user, planned, viewer):
        raise NotImplementedError

    def merge_words(self, source):
        """The texts of the two pages that name what is merged: ``choose_heading``, ``cannot``,
        ``intro``, ``duplicates``, ``refused``, ``choose_another``."""
        raise NotImplementedError

    # --- the two steps ---

    def merge_view(self, request, object_id):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        source = self.get_viewable_object(request, object_id)
        if not self.has_merge_permission(request) or not may_change_record(request.user, source):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        form = self.merge_form(data if "into" in data else None, source, request.user)
        if not form.is_valid() or self.merge_source_refusals(source):
            return self.merge_choose_page(request, source, form)
        target = form.cleaned_data["into"]
        if request.method == "POST":
            return self.merge(request, source, target)
        return self.merge_confirm_page(request, source, target)

    def merge_choose_page(self, request, source, form):
        words = self.merge_words(source)
        context = {
            "original": source,
            "original_title": self.detail_title(source),
            **self.phrase_titles(words["choose_heading"]),
            "words": words,
            "form": form,
            "media": form.media,
            "refusals": self.merge_source_refusals(source),
            "duplicates": self.merge_duplicates(request, source),
            "merge_url": self.admin_url("merge", quote(source.pk)),
            "cancel_url": self.admin_url("detail", quote(source.pk)),
        }
        return self.render_page(request, self.merge_choose_template, context)

    def merge_confirm_page(self, request, source, target):
        plan = self.merge_plan(source, target, request.user)
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
            "words": self.merge_words(source),
            "sections_template": self.merge_sections_template,
            "plan": plan,
            "target_url": self.admin_url("detail", quote(target.pk)),
            "choose_url": self.admin_url("merge", quote(source.pk)),
            "cancel_url": self.admin_url("detail", quote(source.pk)),
        }
        return self.render_page(request, self.merge_confirm_template, context)

    def merge(self, request, source, target):
        try:
            # What the confirm page showed is what is merged: its plan's state comes with the POST.
            report = self.merge_records(
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


class MergeCustomersMixin(MergeMixin):
    merge_sections_template = "otrs_customer_admin/merge_customer_sections.html"

    def has_merge_permission(self, request, obj=None):
        """Change permission on customers and on customer users, and ``obj`` (FROM) one the user's groups
        let them change; never for a read-only ``obj``."""
        return may_change_people(self.admin_site, request) and not (
            obj is not None and (obj.is_read_only or not may_change_record(request.user, obj))
        )

    def merge_targets(self, source, user):
        return merge_targets(source, user)

    def merge_form(self, data, source, user):
        refused = (
            gettext_lazy("Choose a valid customer other than this one, that your groups let you change.")
            if restricted(user, RW)
            else gettext_lazy("Choose a valid customer other than this one.")
        )
        return MergeTargetForm(
            data,
            queryset=self.merge_targets(source, user),
            # The customer users' customer field names the autocomplete's source (valid customers only).
            picker_field=CustomerUser._meta.get_field("customer"),
            admin_site=self.admin_site,
            help_text=gettext_lazy("The customer that stays: a valid customer. Search by CustomerID, name or city."),
            refused=refused,
        )

    def merge_source_refusals(self, source):
        return source_refusals(source)

    def merge_duplicates(self, request, source):
        if not source.name_match_key:
            return []
        return list(
            self.merge_targets(source, request.user)
            .filter(name_match_key=source.name_match_key)
            .order_by("name_key")[:DUPLICATES_OFFERED]
        )

    def merge_plan(self, source, target, viewer):
        return plan_merge(source, target, viewer)

    def merge_records(self, source, target, **kwargs):
        return merge_customers(source, target, **kwargs)

    def merge_words(self, source):
        title = self.detail_title(source)
        return {
            "choose_heading": Phrase(_("Merge %(customer)s into another customer"), customer=title),
            "cannot": _("This customer cannot be merged:"),
            "intro": Phrase(
                _(
                    "Everything of %(object)s moves to the customer you choose: its customer users and tickets. "
                    "Empty fields of that customer are filled from it, and %(object)s is set invalid, never "
                    "deleted. The next page lists exactly what will move before anything changes."
                ),
                object=title,
            ),
            "duplicates": _("Possible duplicates of this customer"),
            "refused": _("These customers cannot be merged:"),
            "choose_another": _("Choose another customer"),
        }


def merge_targets(source, user):
    """The customers ``source`` may be merged into by ``user``: valid ones their groups let them change."""
    return Customer.objects.valid().changeable_by(user).exclude(pk=source.pk)


class MergeCustomerUsersMixin(MergeMixin):
    merge_sections_template = "otrs_customer_admin/merge_customer_user_sections.html"

    def has_merge_permission(self, request, obj=None):
        """Change permission on customer users and on tickets (their tickets move), and ``obj``
        (FROM) one the user's groups let them change; never for a read-only ``obj``."""
        return all(may_change(self.admin_site, request, model) for model in (CustomerUser, Ticket)) and not (
            obj is not None and (obj.is_read_only or not may_change_record(request.user, obj))
        )

    def merge_targets(self, source, user):
        """The people ``source`` may be merged into by ``user``: valid ones their groups let them change."""
        return CustomerUser.objects.valid().changeable_by(user).exclude(pk=source.pk)

    def merge_form(self, data, source, user):
        refused = (
            gettext_lazy("Choose a valid customer user other than this one, that your groups let you change.")
            if restricted(user, RW)
            else gettext_lazy("Choose a valid customer user other than this one.")
        )
        return MergeTargetForm(
            data,
            queryset=self.merge_targets(source, user),
            # The tickets' customer-user field names the autocomplete's source (valid people only).
            picker_field=Ticket._meta.get_field("customer_user"),
            admin_site=self.admin_site,
            help_text=gettext_lazy(
                "The customer user who stays: a valid customer user. Search by login, name, email or CustomerID."
            ),
            refused=refused,
        )

    def merge_source_refusals(self, source):
        return customer_user_source_refusals(source)

    def merge_duplicates(self, request, source):
        """Valid people of FROM's customer with its full name, and those sharing one of its addresses."""
        targets = self.merge_targets(source, request.user)
        keys = [source.email_key, *source.additional_emails.values_list("email_key", flat=True)]
        namesakes = targets.filter(customer=source.customer_id, full_name_key=source.full_name_key)
        same_address = targets.filter(email_key__in=keys) | targets.filter(additional_emails__email_key__in=keys)
        return list((namesakes | same_address).distinct().order_by(*CustomerUser._meta.ordering)[:DUPLICATES_OFFERED])

    def merge_plan(self, source, target, viewer):
        return plan_merge_customer_users(source, target, viewer)

    def merge_records(self, source, target, **kwargs):
        return merge_customer_users(source, target, **kwargs)

    def merge_words(self, source):
        title = self.detail_title(source)
        return {
            "choose_heading": Phrase(_("Merge %(customer_user)s into another customer user"), customer_user=title),
            "cannot": _("This customer user cannot be merged:"),
            "intro": Phrase(
                _(
                    "Everything of %(object)s moves to the customer user you choose: their tickets, additional "
                    "customers and email addresses. Empty fields of that customer user are filled from them, and "
                    "%(object)s is set invalid, never deleted. The next page lists exactly what will move before "
                    "anything changes."
                ),
                object=title,
            ),
            "duplicates": _("Possible duplicates of this customer user"),
            "refused": _("These customer users cannot be merged:"),
            "choose_another": _("Choose another customer user"),
        }
