"""The dynamic fields in a record list: a column per field shown in lists, a filter per
filterable one.

The columns come after the built-in ones (before Edit), headed by the field's label, sortable
where the type sorts (``SORTABLE_TYPES``). Their values are annotations of the list's queryset
(``with_dynamic_fields``, one subquery per column in the page's one query), so a page costs the
same queries whatever its rows and columns. The list's pages are fetched by key in the order
of the list (``admin.pagination``), so sorting by a column sorts by its annotation there too.
"""

from django.db.models import F
from unfold.views import ChangeList

from ...bidi import isolate_text
from ...models.dynamic_field_types import FILTERABLE_TYPES, SORTABLE_TYPES
from ...models.dynamic_values import annotated_value
from ..display import dynamic_value
from ..filters import DynamicFieldFilter


class DynamicColumn:
    """A list column of one dynamic field: a callable of ``list_display``, equal to another of the
    same field (Django compares ``list_display`` with ``sortable_by``, each built per call)."""

    def __init__(self, field):
        self.field = field
        self.__name__ = field.key
        self.short_description = isolate_text(field.label)
        if field.field_type in SORTABLE_TYPES:
            # Empty values first going up and last going down, on every database (PostgreSQL's
            # default puts NULL last going up, SQLite's first).
            self.admin_order_field = F(field.key).asc(nulls_first=True)

    def __eq__(self, other):
        return isinstance(other, DynamicColumn) and other.field.key == self.field.key

    def __hash__(self):
        return hash((DynamicColumn, self.field.key))

    def __call__(self, obj):
        field = self.field
        if hasattr(obj, field.key):
            value = annotated_value(field, getattr(obj, field.key))
        else:  # a queryset without the annotation: read it (a query per row)
            value = obj.dynamic_fields[field.name]
        return dynamic_value(field, value)


class DynamicFieldsChangeList(ChangeList):
    """The list, its queryset annotated with the values of its dynamic columns before filtering
    and ordering (a column sorts by its annotation)."""

    def get_queryset(self, request, exclude_parameters=None):
        if not getattr(self, "_dynamic_annotated", False):
            names = [column.field.name for column in self.list_display if isinstance(column, DynamicColumn)]
            if names:
                self.root_queryset = self.root_queryset.with_dynamic_fields(*names)
            self._dynamic_annotated = True
        return super().get_queryset(request, exclude_parameters)


class DynamicFieldsListMixin:
    """ModelAdmin mixin of a model with dynamic fields: their list columns and list filters.
    Goes with ``DynamicFieldsMixin`` (the forms), whose ``dynamic_field_definitions()`` it reads."""

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        dynamic = [DynamicColumn(field) for field in self.dynamic_field_definitions() if field.show_in_list]
        at = columns.index("edit") if "edit" in columns else len(columns)
        return [*columns[:at], *dynamic, *columns[at:]]

    def get_list_filter(self, request):
        filters = [
            DynamicFieldFilter.of(field)
            for field in self.dynamic_field_definitions()
            if field.filterable and field.field_type in FILTERABLE_TYPES
        ]
        return [*super().get_list_filter(request), *filters]

    def get_changelist(self, request, **kwargs):
        return DynamicFieldsChangeList
