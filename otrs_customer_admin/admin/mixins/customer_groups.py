"""Customer groups in the admin: every page of a customer, customer user or ticket reads its rows
through ``get_queryset``, which keeps those the user's groups let them see
(``models.visibility``); a record outside it answers 404, as Django's admin does, never 403,
which would tell that it exists. Changing a record needs its customer linked ``rw``."""

from ...models.visibility import may_change, may_view


class CustomerGroupsMixin:
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).with_group_permission(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or may_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may_change(request.user, obj))
