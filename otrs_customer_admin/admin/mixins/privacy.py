"""A person's privacy on their detail view (``otrs_customer_admin.privacy``): "Anonymise" (a
confirmation page listing exactly what changes; only its POST acts), "Export personal data" (one
JSON document, GDPR Art. 15), and the admin's own delete, which erases (no personal value stays in
the history) where the site allows deletion."""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...bidi import Phrase
from ...models import CustomerUser
from ...models.visibility import may_change
from ...privacy import (
    AnonymizationRefused,
    anonymize_customer_users,
    delete_people,
    entry_vanished,
    export_person,
    is_anonymized,
    merged_into,
    plan_anonymization,
)
from .pages import RecordPageMixin, record_action


class PrivacyMixin(RecordPageMixin):
    anonymize_template = "otrs_customer_admin/confirm_anonymize.html"
    actions_detail = ["anonymize", "export_personal_data"]

    def has_anonymize_permission(self, request, obj=None):
        """Change permission on customer users, and ``obj`` one not anonymised yet, of a source that lets
        it change or no longer holds it, whose customer the user's groups let them change."""
        if not self.has_change_permission(request):
            return False
        if obj is None:
            return True
        return (
            not is_anonymized(obj) and (not obj.is_read_only or entry_vanished(obj)) and may_change(request.user, obj)
        )

    def has_export_personal_data_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @record_action(
        permission="anonymize", description=gettext_lazy("Anonymise"), url_path="anonymize", icon="person_off"
    )
    def anonymize(self, request, obj):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        detail_url = self.admin_url("detail", quote(obj.pk))
        title = self.detail_title(obj)
        if request.method == "POST":
            try:
                anonymize_customer_users([obj], user=request.user, viewer=request.user)
            except AnonymizationRefused as refused:
                messages.error(request, " ".join(refused.reasons))
                return HttpResponseRedirect(self.admin_url("anonymize", quote(obj.pk)))
            messages.success(request, Phrase(_("%(object)s is anonymised."), object=title).html())
            return HttpResponseRedirect(detail_url)
        context = {
            "original": obj,
            "plan": plan_anonymization(obj, request.user),
            # Anonymised with them: the records merged into them (the same person, merged away).
            "merged": CustomerUser.objects.filter(pk__in=merged_into([obj.pk])).order_by("pk"),
            "object_title": title,
            **self.phrase_titles(Phrase(_("Anonymise %(object)s?"), object=title)),
            "cancel_url": detail_url,
        }
        return self.render_page(request, self.anonymize_template, context)

    @record_action(
        permission="export_personal_data",
        description=gettext_lazy("Export personal data"),
        url_path="personal-data",
        icon="download",
    )
    def export_personal_data(self, request, obj):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        response = HttpResponse(export_person(obj), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="personal-data-{obj.pk}.json"'
        return response

    # The admin's own delete (only where ALLOW_DELETE lets it, and Django's page refuses a person
    # with tickets, which protect them): the erasure's, so that no personal value stays in the history.

    def log_deletion(self, request, obj, object_repr):
        pass  # delete_model leaves the tombstone

    def log_deletions(self, request, queryset):
        pass

    def delete_model(self, request, obj):
        plan = plan_anonymization(obj, request.user)
        delete_people([plan], request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
