"""Customer groups in the admin: every page of a customer, customer user or ticket reads its rows
through ``get_queryset``, which keeps those the user's groups let them see
(``models.visibility``); a record outside it answers 404, as Django's admin does, never 403,
which would tell that it exists. Changing a record needs its customer linked ``rw``.

A form's customer and customer-user fields offer and take only what ``choosable`` gives the user:
a value posted by hand outside it is refused with a sentence that names nothing."""

from django.utils.translation import gettext_lazy as _

from ...models.visibility import RO, RW, VisibilityQuerySet, choosable, may_change, may_view, restricted

REFUSED_CHOICE = {
    "customer": _("Choose a customer you may change (one of your groups links it read and write)."),
    "customeruser": _("Choose a customer user you may see."),
}


def limit_to_groups(form_field, user):
    """``form_field`` (a model choice field or None) offering and taking only what ``user`` may choose."""
    queryset = getattr(form_field, "queryset", None)
    if not isinstance(queryset, VisibilityQuerySet):
        return form_field
    form_field.queryset = choosable(queryset, user)
    model_name = queryset.model._meta.model_name
    # Read by the forms, which keep a record's values the field does not offer (``forms``).
    form_field.limited_by_groups = model_name in REFUSED_CHOICE and restricted(
        user, RW if model_name == "customer" else RO
    )
    if form_field.limited_by_groups:
        form_field.error_messages = {**form_field.error_messages, "invalid_choice": REFUSED_CHOICE[model_name]}
    return form_field


class ChoicesThroughGroupsMixin:
    """The form fields of customers and customer users offer only what ``choosable`` gives the user."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return limit_to_groups(super().formfield_for_foreignkey(db_field, request, **kwargs), request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return limit_to_groups(super().formfield_for_manytomany(db_field, request, **kwargs), request.user)


class CustomerGroupsMixin(ChoicesThroughGroupsMixin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).with_group_permission(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or may_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may_change(request.user, obj))
