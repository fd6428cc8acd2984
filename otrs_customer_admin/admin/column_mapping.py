"""The column mapping form: for each column of a file that no field is known by, which field it
holds, or "Ignore this column".

Inputs: ``ColumnMappingForm(headers=..., model=..., data=..., mapping=...)``

- ``headers``: the file's headers, in their order (all of them: the known ones take their fields
  out of the choices; only the unknown ones get a select, the first ``MAPPABLE_COLUMNS``);
- ``model``: ``Customer`` or ``CustomerUser`` (the import's model: its importable fields are the
  choices, the built-in ones by label and the dynamic ones by label and ``DynamicField_<Name>``);
- ``data``: the posted selects (``column-<position>``, the header's position in the file), or None;
- ``mapping``: the mapping in use (header -> field, ``""`` ignores), the selects' initial values.

Outputs: ``is_valid()``; then ``.mapping``, ``{header: field or ""}`` for every unknown header,
ready for ``RecordImport(mapping=...)``. A posted field that is not among the choices, two columns
mapped to one field, or a ``column-<n>`` that is no unknown column of the file make it invalid with
a message, never an exception. ``.columns`` lists ``(header, bound field)`` for the markup,
``templates/otrs_customer_admin/includes/column_mapping.html`` (context: ``mapping_form``,
``mapping_action``, the URL it posts to); a subclass adds hidden fields (the admin's preview token).
"""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget

from ..importexport import columns as column_names
from ..importexport.engine import MAPPABLE_COLUMNS
from ..importexport.importers import IMPORTERS

PREFIX = "column-"
IGNORE = ""


class ColumnMappingForm(forms.Form):
    def __init__(self, *args, headers, model, mapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        importer = IMPORTERS[model]()
        table = importer.column_table()
        headers = [str(header) for header in headers]
        # The unknown headers are those no name in the table means, as the import reads them.
        field_of_column, unknown, _duplicates = column_names.map_headers(headers, table)
        unknown = set(unknown[:MAPPABLE_COLUMNS])
        taken = set(field_of_column.values())
        chosen = {column_names.normalise(header): name for header, name in (mapping or {}).items()}
        choices = [(IGNORE, gettext("Ignore this column"))]
        choices += [(name, label) for name, label in importer.importable_fields() if name not in taken]
        self.headers = {}
        for position, header in enumerate(headers):
            if header not in unknown:
                continue
            name = f"{PREFIX}{position}"
            self.headers[name] = header
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=chosen.get(column_names.normalise(header), IGNORE),
                widget=UnfoldAdminSelectWidget(choices=choices),
            )

    @property
    def columns(self):
        return [(header, self[name]) for name, header in self.headers.items()]

    def clean(self):
        cleaned = super().clean()
        posted = {key for key in (self.data or {}) if key.startswith(PREFIX)}
        if posted - self.headers.keys():
            raise forms.ValidationError(
                _("The mapping names a column the file does not have; upload the file again."), code="unknown_column"
            )
        first = {}
        for name, header in self.headers.items():
            field = cleaned.get(name)
            if not field:
                continue
            if field in first:
                self.add_error(
                    name,
                    gettext("%(field)s is chosen for the column %(column)s already.")
                    % {"field": dict(self.fields[name].choices)[field], "column": first[field]},
                )
            else:
                first[field] = header
        return cleaned

    @property
    def mapping(self):
        return {header: self.cleaned_data.get(name) or IGNORE for name, header in self.headers.items()}
