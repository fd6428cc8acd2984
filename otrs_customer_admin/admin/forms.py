"""Forms of the customer and customer-user admin."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget

from ..datasources import writable_data_sources


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

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and instance.is_read_only and self.has_changed():
            raise ValidationError(
                _("This record belongs to the read-only data source %(source)s and cannot be changed here."),
                code="read_only_source",
                params={"source": instance.source},
            )
        return cleaned


class CustomerUserForm(SourcedRecordForm):
    def clean(self):
        cleaned = super().clean()
        customer, additional = cleaned.get("customer"), cleaned.get("additional_customers")
        if customer is not None and additional is not None and customer in additional:
            self.add_error(
                "additional_customers",
                _("%(customer)s is this person's own customer; list only the others here.") % {"customer": customer},
            )
        return cleaned


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
        return cleaned


class SelectDataSourceForm(forms.Form):
    """OTRS's first step of adding a record when several sources can take it."""

    data_source = forms.ChoiceField(label=_("Data source"), widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_source"].choices = [(source.key, source.label) for source in sources]
