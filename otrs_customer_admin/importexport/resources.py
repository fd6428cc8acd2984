"""django-import-export resources: imports through the bulk engine, exports through ``exports``.

``import_data`` keeps django-import-export's signature, so the admin's upload,
preview and confirm steps work unchanged, but runs ``importers.CustomerImport``
(or ``CustomerUserImport``): every row is checked before anything is written,
and the problems come back as ``Line N, Column: message``.

Customers and customer users have a ``DynamicField_<Name>`` column per valid dynamic field,
after the built-in columns. The exported columns are defined once, in ``exports``.
"""

import tablib
from import_export import fields, resources
from import_export.results import Result, RowResult

from ..models import SLA, Customer, CustomerUser, Ticket
from ..models.dynamic_fields import field_definitions
from ..models.visibility import group_support
from .exports import chosen_columns, export_chunks, export_headers, export_queryset
from .importers import CustomerImport, CustomerUserImport, SLAImport


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


class StreamedExportMixin:
    """The export is ``exports``' (its columns, defined once there); the resource's fields are the
    import's. ``export()`` gives a Dataset, for callers of django-import-export's API."""

    def get_export_headers(self, selected_fields=None, **kwargs):
        return export_headers(self._meta.model, getattr(self, "user", None))

    def export(self, queryset=None, **kwargs):
        model = self._meta.model
        queryset = export_queryset(model) if queryset is None else queryset
        columns = chosen_columns(model, getattr(self, "user", None))
        dataset = tablib.Dataset(headers=[column.header for column in columns])
        for rows in export_chunks(queryset, columns):
            dataset.extend(rows)
        return dataset


class DynamicFieldsMixin:
    """A field per valid dynamic field of the records, after the built-in ones (the import page's
    list of columns)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dynamic_definitions = field_definitions(self._meta.model.DYNAMIC_OBJECT_TYPE)
        for definition in self.dynamic_definitions:
            self.fields[definition.key] = fields.Field(
                attribute=definition.key, column_name=definition.key, readonly=True
            )


class GroupLinksMixin:
    """With ``CUSTOMER_GROUP_SUPPORT``, a ``groups`` field of the customers' group links
    ("billing:ro; support:rw"); without it, no such field."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.group_links = group_support()
        if self.group_links:
            self.fields["groups"] = fields.Field(attribute="groups", column_name="groups", readonly=True)

    def get_import_fields(self):
        imported = super().get_import_fields()
        return [*imported, self.fields["groups"]] if self.group_links else imported


class EngineImportMixin:
    importer_class = None
    # DynamicFieldsMixin's, for the models that have dynamic fields.
    dynamic_definitions = ()

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


# The resources declare only the columns that need a widget of ours; ModelResource makes the
# others from the model fields Meta.fields names.


class CustomerResource(
    DynamicFieldsMixin, GroupLinksMixin, StreamedExportMixin, EngineImportMixin, resources.ModelResource
):
    importer_class = CustomerImport

    class Meta:
        model = Customer
        # The columns the import reads, and the record's source for information.
        fields = (*CustomerImport.data_fields, "data_source")
        import_id_fields = ("customer_id",)

    def get_queryset(self):
        return export_queryset(Customer)


class CustomerUserResource(DynamicFieldsMixin, StreamedExportMixin, EngineImportMixin, resources.ModelResource):
    importer_class = CustomerUserImport

    customer = fields.Field(attribute="customer__customer_id", column_name="customer")
    additional_customers = fields.Field(attribute="additional_customers", column_name="additional_customers")
    additional_emails = fields.Field(attribute="additional_emails", column_name="additional_emails")

    class Meta:
        model = CustomerUser
        fields = (*CustomerUserImport.data_fields, "data_source")
        import_id_fields = ("login",)

    def get_queryset(self):
        return export_queryset(CustomerUser)


class SLAResource(StreamedExportMixin, EngineImportMixin, resources.ModelResource):
    importer_class = SLAImport

    calendar = fields.Field(attribute="calendar__name", column_name="calendar")

    class Meta:
        model = SLA
        fields = SLAImport.data_fields
        import_id_fields = ("name",)

    def get_queryset(self):
        return export_queryset(SLA)


class TicketResource(StreamedExportMixin, resources.ModelResource):
    """Tickets are exported only."""

    class Meta:
        model = Ticket
        fields = ()

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def get_queryset(self):
        return export_queryset(Ticket)

    def import_data(self, *args, **kwargs):
        raise NotImplementedError("Tickets are exported, not imported.")
