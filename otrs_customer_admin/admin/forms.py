"""Forms of the customer, customer-user and ticket admin."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold import widgets as unfold_widgets
from unfold.widgets import UnfoldAdminSelectWidget

from ..bidi import isolate_text
from ..conf import settings
from ..datasources import writable_data_sources
from ..folding import fold
from ..models import CustomerUser, FieldType, Validity
from ..models.base import not_valid_message
from ..models.customer_user import OWN_PRIMARY_MESSAGE, split_addresses
from ..models.dynamic_field_types import DECIMAL_DIGITS, DECIMAL_PLACES, INTEGER_RANGE, MAX_LENGTH
from ..models.dynamic_fields import unprefixed
from ..writes import replace_addresses, taken_addresses

# Up to this many choices a multiselect is a list of checkboxes; beyond, a multiple select.
CHECKBOX_CHOICES = 10


def dynamic_form_field(definition, **options):
    """The form field of a dynamic field: unfold's widget for its type, its label, required and
    choices. The model cleans the value again (``dynamic_field_types.clean_value``)."""
    field_type = definition.field_type
    options = {"label": definition.label, "required": definition.required, **options}
    choices = [(key, isolate_text(label)) for key, label in (definition.choices or {}).items()]
    if field_type in (FieldType.TEXT, FieldType.TEXTAREA):
        widget = (
            unfold_widgets.UnfoldAdminTextareaWidget
            if field_type == FieldType.TEXTAREA
            else unfold_widgets.UnfoldAdminTextInputWidget
        )
        return forms.CharField(max_length=MAX_LENGTH[field_type], widget=widget, **options)
    if field_type == FieldType.URL:
        return forms.URLField(
            max_length=MAX_LENGTH[field_type], widget=unfold_widgets.UnfoldAdminURLInputWidget, **options
        )
    if field_type == FieldType.EMAIL:
        return forms.EmailField(
            max_length=MAX_LENGTH[field_type], widget=unfold_widgets.UnfoldAdminEmailInputWidget, **options
        )
    if field_type == FieldType.INTEGER:
        low, high = INTEGER_RANGE
        return forms.IntegerField(
            min_value=low, max_value=high, widget=unfold_widgets.UnfoldAdminIntegerFieldWidget, **options
        )
    if field_type == FieldType.DECIMAL:
        return forms.DecimalField(
            max_digits=DECIMAL_DIGITS,
            decimal_places=DECIMAL_PLACES,
            widget=unfold_widgets.UnfoldAdminDecimalFieldWidget,
            **options,
        )
    if field_type == FieldType.DATE:
        return forms.DateField(widget=unfold_widgets.UnfoldAdminSingleDateWidget, **options)
    if field_type == FieldType.DATETIME:
        return forms.SplitDateTimeField(widget=unfold_widgets.UnfoldAdminSplitDateTimeWidget, **options)
    if field_type == FieldType.CHECKBOX:
        # A checkbox is always answered (not ticked is "no"): required would mean "must be ticked".
        return forms.BooleanField(widget=unfold_widgets.UnfoldBooleanSwitchWidget, **{**options, "required": False})
    if field_type == FieldType.DROPDOWN:
        return forms.ChoiceField(choices=[("", "---------"), *choices], widget=UnfoldAdminSelectWidget, **options)
    if field_type == FieldType.MULTISELECT:
        widget = (
            unfold_widgets.UnfoldAdminCheckboxSelectMultipleWidget
            if len(choices) <= CHECKBOX_CHOICES
            else unfold_widgets.UnfoldAdminSelectMultipleWidget
        )
        return forms.MultipleChoiceField(choices=choices, widget=widget, **options)
    raise ValueError(f"No form field for the type {field_type!r}.")


def dynamic_field_errors_as_non_field(form, errors):
    """``errors`` (a ``ValidationError`` with a dict) with the ``DynamicField_<Name>`` errors the
    form has no field for moved to its non-field errors, each naming the field's label: a form
    without dynamic-field inputs (an inline row) then shows "Tier: This field is required."."""
    if not hasattr(errors, "error_dict"):
        return errors
    kept, moved = {}, []
    for name, messages in errors.error_dict.items():
        if name in form.fields or unprefixed(name) is None:
            kept[name] = messages
            continue
        try:
            label = form.instance.dynamic_fields.definition(name).label
        except KeyError:
            label = name
        for error in messages:
            for message in error.messages if hasattr(error, "messages") else [error]:
                moved.append(
                    ValidationError(
                        gettext("%(field)s: %(message)s") % {"field": isolate_text(label), "message": message}
                    )
                )
    if moved:
        kept.setdefault(NON_FIELD_ERRORS, []).extend(moved)
    return ValidationError(kept)


class SavesChangedFields:
    """ModelForm mixin: a change form writes only the fields its user changed.

    What the user changed is told against the values the page showed (each field carries its
    shown value as a hidden input, ``initial-<name>``), not against the record as it is now: a comment an import
    wrote while the form was open is not the user's change, and survives the save. The whole
    form is still validated as submitted; the saved record is the stored one plus the user's
    changes, and ``Model.save(update_fields=…)`` writes those (and what the model derives from
    them). A new record is saved whole.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.changes_stored_record = self.instance.pk is not None
        # A client that sends no shown values (a script, a test) is told against the record as it is now.
        shown = self.add_initial_prefix("")
        if self.changes_stored_record and (not self.is_bound or any(key.startswith(shown) for key in self.data)):
            for field in self.fields.values():
                field.show_hidden_initial = True

    def model_fields_changed(self):
        """The names of the record's own (not many-to-many) fields the user changed."""
        names = []
        for name in self.changed_data:
            field = self._model_field(name)
            if field is not None and field.concrete and not field.many_to_many:
                names.append(field.name)
        return names

    def update_fields(self):
        """What saving the changed record writes; ``changed_at`` also when only links changed."""
        return self.model_fields_changed() or ["changed_at"]

    def _model_field(self, name):
        try:
            return self._meta.model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            return None

    def _post_clean(self):
        stored = self._stored_values() if self.changes_stored_record else {}
        # The values the save replaces: the history's old values (``mixins.history``).
        self.stored_values = stored
        super()._post_clean()
        # Validated as submitted; saved as stored plus the user's changes.
        changed = set(self.changed_data)
        for name, (attname, value) in stored.items():
            if name not in changed:
                setattr(self.instance, attname, value)

    def _stored_values(self):
        values = {}
        for name in self.fields:
            field = self._model_field(name)
            if field is not None and field.concrete and not field.many_to_many:
                values[name] = (field.attname, getattr(self.instance, field.attname))
        return values

    def _save_m2m(self):
        if not self.changes_stored_record:
            return super()._save_m2m()
        # Links the user did not change stay as they are now.
        unchanged = {
            name: self.cleaned_data.pop(name) for name in list(self.cleaned_data) if name not in self.changed_data
        }
        try:
            super()._save_m2m()
        finally:
            self.cleaned_data.update(unchanged)


class DynamicFieldsForm:
    """ModelForm mixin: the record's dynamic fields, a form field ``DynamicField_<Name>`` for each
    one its user may change (every valid one; on a directory's record, those its source does not
    map), starting from ``record.dynamic_fields`` (a new record's defaults).

    The values the user changed (all of them, for a new record) are assigned to
    ``record.dynamic_fields`` before the model validates, so that its messages show on their
    fields, and ``record.save()`` writes them with the record, in one transaction. A field the user
    did not change is not assigned: what another writer stored meanwhile stays.

    ``locked_fields``: names the page shows read-only; a submission that changes one is refused
    with a message (the admin sets them on a directory's record, whose dynamic fields alone change).
    """

    locked_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = self.instance.dynamic_fields
        for definition in values.editable():
            field = dynamic_form_field(definition)
            field.initial = values[definition.name]
            self.fields[definition.key] = field

    def dynamic_field_names(self):
        return [name for name in self.fields if unprefixed(name) is not None]

    def clean(self):
        cleaned = super().clean()
        refused = [name for name in self.locked_fields if self._locked_field_changed(name)]
        if refused:
            editable = ", ".join(isolate_text(self.fields[name].label) for name in self.dynamic_field_names())
            raise ValidationError(
                _(
                    "%(refused)s cannot be changed here: this record belongs to the read-only data source "
                    "%(source)s, and only its dynamic fields %(editable)s can."
                ),
                code="read_only_source",
                params={
                    "refused": ", ".join(isolate_text(self._locked_label(name)) for name in refused),
                    "source": self.instance.source_label,
                    "editable": editable,
                },
            )
        return cleaned

    def _locked_form_field(self, name):
        """A form field for the locked ``name`` and the record's value of it (``None`` when it has no input)."""
        instance = self.instance
        if unprefixed(name) is not None:
            definition = instance.dynamic_fields.definition(name)
            return dynamic_form_field(definition), instance.dynamic_fields[definition.name]
        try:
            model_field = instance._meta.get_field(name)
        except FieldDoesNotExist:  # a value the admin computes
            return None, None
        form_field = model_field.formfield() if model_field.editable else None
        return form_field, model_field.value_from_object(instance) if form_field else None

    def _locked_field_changed(self, name):
        if name not in self.data and f"{name}_0" not in self.data:
            return False
        form_field, value = self._locked_form_field(name)
        if form_field is None:
            return False
        submitted = form_field.widget.value_from_datadict(self.data, self.files, name)
        return form_field.has_changed(value, submitted)

    def _locked_label(self, name):
        if unprefixed(name) is not None:
            return self.instance.dynamic_fields.definition(name).label
        return capfirst(self.instance._meta.get_field(name).verbose_name)

    def _post_clean(self):
        adding = self.instance.pk is None
        changed = set(self.changed_data)
        for name in self.dynamic_field_names():
            if name in self.cleaned_data and (adding or name in changed):
                self.instance.dynamic_fields[name] = self.cleaned_data[name]
        super()._post_clean()


class SourcedRecordForm(forms.ModelForm):
    """Offers only writable data sources and refuses changes to read-only records.

    The model layer refuses them too; checking here turns a refused write into a
    form error instead of a 403 when, say, an inline row belongs to a directory.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("data_source")
        if field is not None:
            self.fields["data_source"] = forms.ChoiceField(
                label=field.label,
                help_text=field.help_text,
                choices=[(source.key, source.label) for source in writable_data_sources()],
                initial=field.initial,
                widget=UnfoldAdminSelectWidget,
            )
        self.offer_no_country()

    def offer_no_country(self):
        """A required country starts empty, or from the DEFAULT_COUNTRY setting for a new record.

        The admin gives a choice field that may not be blank no empty choice
        (``ModelAdmin.formfield_for_choice_field``): the browser would then preselect the
        list's first country, and a customer saved without one would silently be Afghan.
        With the empty choice, saving without a country is the form error "This field is required.".
        """
        field = self.fields.get("country")
        if field is None or not field.required:
            return
        field.choices = self._meta.model._meta.get_field("country").get_choices(include_blank=True)
        if self.instance.pk is None:
            field.initial = settings.DEFAULT_COUNTRY

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        # A directory's record: its unmapped dynamic fields may change (``DynamicFieldsForm``), nothing else.
        changed_own = [name for name in self.changed_data if unprefixed(name) is None]
        if instance.pk and instance.is_read_only and self.has_changed() and changed_own:
            raise ValidationError(
                _("This record belongs to the read-only data source %(source)s and cannot be changed here."),
                code="read_only_source",
                params={"source": instance.source},
            )
        return cleaned

    def _get_validation_exclusions(self):
        # A stored record's dynamic fields are not this form's when it has no inputs for them (an
        # inline row): they stay as they are, even one made required since. A new record needs them.
        exclude = super()._get_validation_exclusions()
        if self.instance.pk is not None and not any(unprefixed(name) is not None for name in self.fields):
            exclude.add("dynamic_fields")
        return exclude

    def _update_errors(self, errors):
        super()._update_errors(dynamic_field_errors_as_non_field(self, errors))

    def _post_clean(self):
        super()._post_clean()
        # An inline's foreign key is a hidden field, whose errors no template shows
        # ("Customer X is not valid" for a person added to an invalid customer's page).
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                errors = self._errors.pop(name)
                self._errors.setdefault(NON_FIELD_ERRORS, self.error_class(error_class="nonfield")).extend(errors)


class SourcedRecordChangeForm(SavesChangedFields, DynamicFieldsForm, SourcedRecordForm):
    """The change form of a customer (a customer user's is ``CustomerUserForm``)."""


class AddressesField(forms.CharField):
    """Email addresses, one a line (or separated as in a file's cell): changed when the addresses
    are, not when only the line breaks or separators between them are."""

    def to_python(self, value):
        try:
            return split_addresses(super().to_python(value))
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def has_changed(self, initial, data):
        try:
            return self.to_python(self.prepare_value(initial)) != self.to_python(data)
        except ValidationError:
            return True


class CustomerUserForm(SavesChangedFields, DynamicFieldsForm, SourcedRecordForm):
    # The person's additional email addresses: a text of its own, saved by the write kernel
    # (replace_addresses) only when its user changed it.
    additional_emails = AddressesField(
        label=_("Additional email addresses"),
        required=False,
        widget=unfold_widgets.UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("One address per line (or separated by ; , or |). Each address belongs to one valid person only."),
    )
    # Who fills the form in (the admin sets it): a message names another person only to a user who may see them.
    viewer = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "additional_emails" in (self._meta.exclude or ()):  # shown read-only (a directory's person)
            del self.fields["additional_emails"]
        elif self.instance.pk is not None:
            self.initial.setdefault(
                "additional_emails", "\n".join(self.instance.additional_emails.values_list("email", flat=True))
            )
        # The additional customers the field does not offer (the user's groups hide them, or
        # let them only read them) are neither shown nor lost: the form keeps them as they are.
        self.kept_additional_customers = []
        field = self.fields.get("additional_customers")
        if getattr(field, "limited_by_groups", False) and self.instance.pk is not None:
            linked = list(self.instance.additional_customers.all())
            offered = set(field.queryset.filter(pk__in=[c.pk for c in linked]).values_list("pk", flat=True))
            self.kept_additional_customers = [customer for customer in linked if customer.pk not in offered]
            if self.kept_additional_customers:
                self.initial["additional_customers"] = [customer for customer in linked if customer.pk in offered]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("additional_customers") is not None and self.kept_additional_customers:
            cleaned["additional_customers"] = [*cleaned["additional_customers"], *self.kept_additional_customers]
        customer, additional = cleaned.get("customer"), cleaned.get("additional_customers")
        if customer is not None and additional is not None and customer in additional:
            self.add_error(
                "additional_customers",
                _("%(customer)s is this person's own customer; list only the others here.") % {"customer": customer},
            )
        if additional is not None:
            # Links to customers that became invalid stay; new ones need a valid customer.
            linked = set(self.instance.additional_customers.all()) if self.instance.pk else set()
            for added in sorted(set(additional) - linked, key=str):
                if not added.is_valid:
                    self.add_error("additional_customers", not_valid_message(added))
        self.check_addresses(cleaned)
        return cleaned

    def check_addresses(self, cleaned):
        """Among valid people an address is used once, as a primary or an additional address."""
        addresses = cleaned.get("additional_emails")
        if addresses is None or "email" in self.errors:
            return
        primary = cleaned.get("email", self.instance.email) or ""
        for address in addresses:
            if fold(address) == fold(primary):
                self.add_error("additional_emails", OWN_PRIMARY_MESSAGE % {"value": address})
                return
        if cleaned.get("valid", self.instance.valid) != Validity.VALID:
            return
        person = self.instance.pk or "new"
        for taken in taken_addresses({person: (primary, addresses)}):
            if fold(taken.address) == fold(primary):
                continue  # the primary address: the model's validation says it (validate_constraints)
            holder = CustomerUser.objects.visible_to(self.viewer).filter(pk=taken.holder).first()
            if holder is None:
                message = _("Another valid customer user has the address %(value)s.") % {"value": taken.address}
            else:
                message = _("%(person)s has the address %(value)s already; an address belongs to one valid person.")
                message = message % {"person": holder, "value": taken.address}
            self.add_error("additional_emails", message)

    def history_values(self, change):
        """The additional addresses' old and new lists, when this save writes them (``_save_m2m``)."""
        if "additional_emails" not in self.fields or (change and "additional_emails" not in self.changed_data):
            return {}
        new = list(self.cleaned_data.get("additional_emails") or [])
        if not change:
            return {"additional_emails": (None, new)} if new else {}
        old = self.fields["additional_emails"].to_python(self.initial.get("additional_emails") or "")
        return {"additional_emails": (list(old), new)}

    def _save_m2m(self):
        super()._save_m2m()
        if "additional_emails" in self.fields and (
            "additional_emails" in self.changed_data or not self.changes_stored_record
        ):
            replace_addresses({self.instance.pk: self.cleaned_data["additional_emails"]})


class AdditionalLinkForm(forms.ModelForm):
    """A row of a customer's "also works here" inline: one person's link to this customer."""

    class Meta:
        # The auto-created through model's field would be headed "Customeruser".
        labels = {"customeruser": _("Customer user")}

    def clean(self):
        cleaned = super().clean()
        person = cleaned.get("customeruser")
        if person is None:
            return cleaned
        if person.is_read_only:
            raise ValidationError(
                _(
                    "%(person)s belongs to the read-only data source %(source)s; "
                    "only its sync may change their customers."
                )
                % {"person": person, "source": person.source}
            )
        if person.customer_id == self.instance.customer_id:  # the formset set it: the page's customer
            raise ValidationError(_("%(person)s works for this customer already.") % {"person": person})
        if self.instance.pk is None or "customeruser" in self.changed_data:
            # A new link needs a valid person and a valid customer; links made before either became invalid stay.
            for record in (person, self.instance.customer):
                if not record.is_valid:
                    raise ValidationError(not_valid_message(record))
        return cleaned


class TicketForm(SavesChangedFields, forms.ModelForm):
    """The ticket's change form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ticket's customer user stays acceptable even where the user's groups hide them:
        # the ticket shows their name, and saving it must not need a new one.
        field = self.fields.get("customer_user")
        if getattr(field, "limited_by_groups", False) and self.instance.customer_user_id is not None:
            field.queryset = field.queryset | field.queryset.model.objects.filter(pk=self.instance.customer_user_id)


class SelectDataSourceForm(forms.Form):
    """OTRS's first step of adding a record when several sources can take it."""

    data_source = forms.ChoiceField(label=_("Data source"), widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_source"].choices = [(source.key, source.label) for source in sources]
