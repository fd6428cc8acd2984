"""The admin of saved import/export profiles (``ImportExportProfile``): a list, and a form whose
columns and defaults are checked against the model's fields (``importexport.profiles``).

The columns are a text area: for an import one ``column in the file: field`` per line (an empty
field ignores the column), for an export one export column name per line, in their order.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from ..importexport.profiles import (
    EXPORT,
    IMPORT,
    clean_defaults,
    clean_export_columns,
    clean_mapping,
    models_for,
)
from ..models import ImportExportProfile
from .mixins import DatabaseBusyMixin


def model_choices():
    models = {model._meta.label_lower: model for direction in (IMPORT, EXPORT) for model in models_for(direction)}
    return [(label, str(model._meta.verbose_name_plural).capitalize()) for label, model in models.items()]


def model_of(label):
    return next(
        (
            model
            for direction in (IMPORT, EXPORT)
            for model in models_for(direction)
            if model._meta.label_lower == label
        ),
        None,
    )


class ProfileForm(forms.ModelForm):
    model = forms.ChoiceField(label=_("Records"), choices=model_choices)
    columns = forms.CharField(
        label=_("Columns"),
        required=False,
        widget=UnfoldAdminTextareaWidget,
        help_text=_(
            "Import: one “column in the file: field” per line (Firma: name); nothing after the colon ignores the "
            "column. Export: one column name per line (customer_id), in the order of the file."
        ),
    )
    default_country = forms.ChoiceField(label=_("Default country"), required=False)
    default_customer = forms.CharField(
        label=_("Default customer"),
        required=False,
        max_length=150,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("Import of customer users: the CustomerID of new customer users whose row names none."),
    )

    class Meta:
        model = ImportExportProfile
        fields = ["name", "model", "direction", "columns"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["default_country"]
        field.choices = [("", _("None")), *countries]
        field.widget = UnfoldAdminSelectWidget(choices=field.choices)
        self.fields["model"].widget = UnfoldAdminSelectWidget(choices=self.fields["model"].choices)
        defaults = self.instance.defaults or {}
        self.initial.setdefault("default_country", defaults.get("default_country", ""))
        self.initial.setdefault("default_customer", defaults.get("default_customer", ""))
        self.initial["columns"] = columns_text(self.instance.columns)

    def clean(self):
        cleaned = super().clean()
        model, direction = model_of(cleaned.get("model")), cleaned.get("direction")
        if model is None or not direction:
            return cleaned
        if model not in models_for(direction):
            self.add_error(
                "direction",
                gettext("%(records)s are exported only.") % {"records": model._meta.verbose_name_plural.capitalize()},
            )
            return cleaned
        lines = [line for line in (cleaned.get("columns") or "").splitlines() if line.strip()]
        try:
            if direction == IMPORT:
                cleaned["columns"] = clean_mapping(model, dict(mapping_line(line) for line in lines))
            else:
                cleaned["columns"] = clean_export_columns(model, [line.strip() for line in lines])
        except ValidationError as error:
            self.add_error("columns", error)
        defaults = {name: cleaned.get(name, "") for name in ("default_country", "default_customer")}
        try:
            cleaned["defaults"] = clean_defaults(model, defaults) if direction == IMPORT else {}
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def save(self, commit=True):
        self.instance.defaults = self.cleaned_data.get("defaults", {})
        return super().save(commit)


def mapping_line(line):
    """``(header, field)`` of a line ``header: field`` (the last colon: a header may hold one)."""
    header, colon, field = line.rpartition(":")
    return (header.strip(), field.strip()) if colon else (line.strip(), "")


def columns_text(columns):
    """A profile's columns as its form's text: ``header: field`` lines, or column names."""
    if isinstance(columns, dict):
        # Sorted: PostgreSQL's jsonb keeps no order of keys.
        return "\n".join(
            f"{header}: {field}" for header, field in sorted(columns.items(), key=lambda item: item[0].casefold())
        )
    if isinstance(columns, list):
        return "\n".join(columns)
    return ""


class ImportExportProfileAdmin(DatabaseBusyMixin, ModelAdmin):
    form = ProfileForm
    list_display = ["name", "records", "direction", "changed_at"]
    list_filter = ["direction", "model"]
    search_fields = ["name"]
    actions = None
    fieldsets = [
        (None, {"fields": ["name", "model", "direction", "columns"]}),
        (_("Import defaults"), {"fields": ["default_country", "default_customer"]}),
    ]

    @display(description=_("Records"), ordering="model")
    def records(self, obj):
        model = model_of(obj.model)
        return str(model._meta.verbose_name_plural).capitalize() if model is not None else obj.model

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
