"""Customer groups in the admin: every page of a customer, customer user or ticket reads its rows
through ``get_queryset``, which keeps those the user's groups let them see
(``models.visibility``); a record outside it answers 404, never 403, which would tell that it
exists. Changing a record needs its customer linked ``rw``.

A form's customer and customer-user fields offer and take only what ``choosable`` gives the user:
a value posted by hand outside it is refused with a sentence that names nothing."""

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models.visibility import RO, RW, VisibilityQuerySet, choosable, group_support, may_change, may_view, restricted

REFUSED_CHOICE = {
    "customer": gettext_lazy("Choose a customer you may change (one of your groups links it read and write)."),
    "customeruser": gettext_lazy("Choose a customer user you may see."),
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

    # With group support on, the change, delete and history views of a record outside
    # get_queryset answer 404 as the detail view does, instead of Django's "doesn't exist"
    # redirect (delete: 403 where deleting is off), the same for a hidden and a missing record.
    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if group_support():
            raise Http404(_("%(name)s not found.") % {"name": capfirst(opts.verbose_name)})
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def delete_view(self, request, object_id, extra_context=None):
        if group_support() and self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().delete_view(request, object_id, extra_context)
