"""django-import-export resources: export columns, and imports through the bulk engine.

``import_data`` keeps django-import-export's signature, so the admin's upload,
preview and confirm steps work unchanged, but runs ``importers.CustomerImport``
(or ``CustomerUserImport``): every row is checked before anything is written,
and the problems come back as ``Line N, Column: message``.

Customers and customer users have a ``DynamicField_<Name>`` column per valid dynamic field,
after the built-in columns, written as the import reads them back.
"""

import re
from itertools import batched

from django.db.models import Aggregate, CharField, OuterRef, Subquery
from import_export import fields, resources
from import_export.results import Result, RowResult

from ..models import Customer, CustomerUser, FieldType, Ticket
from ..models.customer_groups import format_group_links, group_links_of
from ..models.dynamic_fields import field_definitions
from ..models.visibility import customer_ids, group_support, restricted
from ..values import format_validity
from ..writes import WRITE_BATCH, load_values
from .formats import neutralise_formula
from .importers import CustomerImport, CustomerUserImport


class ImportResult(Result):
    """django-import-export's Result, filled from an ``ImportReport``."""

    def __init__(self, report):
        super().__init__()
        self.report = report
        self.total_rows = report.rows
        self.totals[RowResult.IMPORT_TYPE_NEW] = report.created
        self.totals[RowResult.IMPORT_TYPE_UPDATE] = report.updated
        self.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged

    def has_errors(self):
        return not self.report.ok

    def has_validation_errors(self):
        return False


#: What a number, postal code or phone number looks like: digits, spaces, ( ) . / - and one leading + or -.
NUMBER_LIKE = re.compile(r"[+-]?[\d ()./-]*")


class SafeExportMixin:
    """Exports neutralise cells a spreadsheet would run as formulas, except numbers and phone
    numbers in the exempt columns ("+49 30 1234" stays as it is, "=1+1" does not)."""

    # Columns whose values are numbers or phone numbers, where a leading + or - is data.
    formula_exempt = ()
    # Relations the columns follow, fetched with the rows instead of one query each.
    export_related = ()

    def export(self, queryset=None, **kwargs):
        queryset = self.get_queryset() if queryset is None else queryset
        if self.export_related:
            # Without names select_related() would follow every relation (and is deprecated).
            queryset = queryset.select_related(*self.export_related)
        queryset = self.annotate_export(queryset)
        return super().export(queryset, **kwargs)

    def annotate_export(self, queryset):
        """The queryset with what the columns read beyond the rows (one query, whatever the rows)."""
        return queryset

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if not isinstance(value, str):
            return value
        if field.column_name in self.formula_exempt and NUMBER_LIKE.fullmatch(value):
            return value
        return neutralise_formula(value)


class DynamicValueField(fields.Field):
    """A ``DynamicField_<Name>`` column: the value as the import reads it back (``format_value``),
    from the values ``DynamicFieldsMixin.iter_queryset`` loaded for a batch of records."""

    def __init__(self, definition):
        super().__init__(attribute=definition.key, column_name=definition.key, readonly=True)
        self.definition = definition

    def get_value(self, obj):
        return self.definition.format(obj.exported_dynamic_values[self.definition.name])


class DynamicFieldsMixin:
    """A column per valid dynamic field of the records, after the built-in ones (export and the
    import page's list of columns); the values are read a batch of records at a time."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dynamic_definitions = field_definitions(self._meta.model.DYNAMIC_OBJECT_TYPE)
        for definition in self.dynamic_definitions:
            self.fields[definition.key] = DynamicValueField(definition)
        # Numbers keep their sign as they are: "-5" is a number, not a formula.
        self.formula_exempt = (
            *self.formula_exempt,
            *(
                definition.key
                for definition in self.dynamic_definitions
                if definition.field_type in (FieldType.INTEGER, FieldType.DECIMAL)
            ),
        )

    def iter_queryset(self, queryset):
        records = super().iter_queryset(queryset)
        if not self.dynamic_definitions:
            yield from records
            return
        for batch in batched(records, WRITE_BATCH):
            values = load_values(self._meta.model, [obj.pk for obj in batch], self.dynamic_definitions)
            for obj in batch:
                obj.exported_dynamic_values = values[obj.pk]
                yield obj


class GroupLinksField(fields.Field):
    """The ``groups`` column: a customer's group links as the import reads them, "billing:ro; support:rw"."""

    def __init__(self):
        super().__init__(attribute="groups", column_name="groups", readonly=True)

    def get_value(self, obj):
        return format_group_links(obj.exported_group_links)


class GroupLinksMixin:
    """With ``CUSTOMER_GROUP_SUPPORT``, a ``groups`` column of the customers' group links, read a
    batch of records at a time (``group_links_of``); without it, no such column."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.group_links = group_support()
        if self.group_links:
            self.fields["groups"] = GroupLinksField()

    def iter_queryset(self, queryset):
        records = super().iter_queryset(queryset)
        if not self.group_links:
            yield from records
            return
        for batch in batched(records, WRITE_BATCH):
            links = group_links_of([obj.pk for obj in batch])
            for obj in batch:
                obj.exported_group_links = links[obj.pk]
                yield obj

    def get_import_fields(self):
        imported = super().get_import_fields()
        return [*imported, self.fields["groups"]] if self.group_links else imported


class EngineImportMixin:
    importer_class = None

    def __init__(self, *, default_country="", default_customer="", user=None, mapping=None, **kwargs):
        super().__init__(**kwargs)
        self.default_country = default_country
        self.default_customer = default_customer
        # The user's column mapping: file header -> field, "" to ignore the column.
        self.mapping = mapping or {}
        # Whose export this is (the admin's user, a command's --user): None, the site's, holds everything.
        self.user = user

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        user = kwargs.get("user")
        importer = self.importer_class(
            default_country=self.default_country,
            default_customer=self.default_customer,
            user=user if user is not None and user.is_authenticated else None,
            mapping=self.mapping,
        )
        return ImportResult(importer.run(dataset, dry_run=dry_run))

    def get_import_fields(self):
        """The columns the engine reads; the admin's import page lists them ("This importer will
        import the following fields"), the exported-only ones (data_source) left out."""
        names = [*self.importer_class.data_fields, *(definition.key for definition in self.dynamic_definitions)]
        return [self.fields[name] for name in names]


class ValidityField(fields.Field):
    def get_value(self, obj):
        return format_validity(obj.valid)


class JoinedText(Aggregate):
    """The texts of a group joined by ";" (SQLite's GROUP_CONCAT, PostgreSQL's STRING_AGG), in any order."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ';')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def additional_customer_ids(user=None):
    """A subquery: the CustomerIDs of the outer customer user's additional customers that ``user``
    sees, joined by ";"."""
    links = CustomerUser.additional_customers.through.objects.filter(customeruser=OuterRef("pk"))
    if restricted(user):
        links = links.filter(customer__in=customer_ids(user))
    joined = links.order_by().values("customeruser").annotate(ids=JoinedText("customer__customer_id"))
    return Subquery(joined.values("ids"))


class CustomerIDsField(fields.Field):
    """CustomerIDs joined in any order by the query, written sorted and separated by "; ", as the
    import reads them (a CustomerID never contains ";")."""

    def get_value(self, obj):
        return "; ".join(sorted(filter(None, (getattr(obj, self.attribute) or "").split(";"))))


class CountryCodeField(fields.Field):
    def get_value(self, obj):
        return obj.country.code if obj.country else ""


# The resources declare only the columns that need a widget of ours; ModelResource makes the
# others from the model fields Meta.fields names.


class CustomerResource(
    DynamicFieldsMixin, GroupLinksMixin, SafeExportMixin, EngineImportMixin, resources.ModelResource
):
    importer_class = CustomerImport
    formula_exempt = ("zip",)

    country = CountryCodeField(attribute="country", column_name="country")
    valid = ValidityField(attribute="valid", column_name="valid")

    class Meta:
        model = Customer
        # The columns the import reads, and the record's source for information.
        fields = (*CustomerImport.data_fields, "data_source")
        import_id_fields = ("customer_id",)

    def get_queryset(self):
        return Customer.objects.order_by("customer_id")


class CustomerUserResource(DynamicFieldsMixin, SafeExportMixin, EngineImportMixin, resources.ModelResource):
    importer_class = CustomerUserImport
    formula_exempt = ("phone", "fax", "mobile", "zip")
    export_related = ("customer",)

    customer = fields.Field(attribute="customer__customer_id", column_name="customer")
    country = CountryCodeField(attribute="country", column_name="country")
    valid = ValidityField(attribute="valid", column_name="valid")
    additional_customers = CustomerIDsField(attribute="additional_customer_ids", column_name="additional_customers")

    class Meta:
        model = CustomerUser
        fields = (*CustomerUserImport.data_fields, "data_source")
        import_id_fields = ("login",)

    def annotate_export(self, queryset):
        return queryset.annotate(additional_customer_ids=additional_customer_ids(self.user))

    def get_queryset(self):
        return CustomerUser.objects.order_by("login")


class TicketResource(SafeExportMixin, resources.ModelResource):
    """Tickets are exported only."""

    customer = fields.Field(attribute="customer__customer_id", column_name="customer")
    customer_user = fields.Field(attribute="customer_user__login", column_name="customer_user")
    priority = fields.Field(attribute="priority", column_name="priority")
    sla = fields.Field(attribute="sla__name", column_name="sla")
    created_at = fields.Field(attribute="created_at", column_name="created_at")
    pending_until = fields.Field(attribute="pending_until", column_name="pending_until")
    escalation_at = fields.Field(attribute="escalation_at", column_name="escalation_at")
    closed_at = fields.Field(attribute="closed_at", column_name="closed_at")

    formula_exempt = ("number", "priority")
    export_related = ("customer", "customer_user", "sla")

    class Meta:
        model = Ticket
        fields = (
            "number",
            "title",
            "customer",
            "customer_user",
            "state",
            "priority",
            "sla",
            "created_at",
            "pending_until",
            "escalation_at",
            "escalation_deadline",
            "closed_at",
        )

    def get_queryset(self):
        return Ticket.objects.order_by("-created_at")

    def import_data(self, *args, **kwargs):
        raise NotImplementedError("Tickets are exported, not imported.")
