"""The add form's prefill from its address (``…/ticket/add/?customer=<pk>&customer_user=<pk>``).

Django puts every query parameter that names a field into the form as it is; a value the field
cannot take (a key that is no number, a record that does not exist or may not be chosen, a date
that is none, a choice it does not have) would break the page. Such a value is left out, with a message, and the field
opens empty.
"""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from ...bidi import isolate_text
from ...models.dynamic_field_types import clean_value
from ...models.dynamic_fields import field_definition, unprefixed

# How much of a refused value the message repeats.
VALUE_SHOWN = 40


class PrefillMixin:
    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            definition = self.prefilled_dynamic_field(name)
            if definition is not None:
                try:
                    initial[name] = clean_value(definition, value)
                except ValidationError:
                    del initial[name]
                    self.refuse_prefill(request, isolate_text(definition.label), value)
                continue
            try:
                field = self.opts.get_field(name)
            except FieldDoesNotExist:
                continue
            if not getattr(field, "concrete", False) and not field.many_to_many:
                continue
            try:
                initial[name] = self.prefill_value(request, field, value)
            except ValidationError:
                del initial[name]
                self.refuse_prefill(request, field.verbose_name, value)
        return initial

    def refuse_prefill(self, request, label, value):
        shown = ",".join(value) if isinstance(value, list) else value
        messages.warning(
            request,
            _("“%(value)s” from the address is not a value %(field)s can take; it was not filled in.")
            % {"field": label, "value": Truncator(shown).chars(VALUE_SHOWN)},
        )

    def prefilled_dynamic_field(self, name):
        """The valid dynamic field ``name`` (``DynamicField_<Name>``) of this admin's model, if it has one."""
        object_type = getattr(self.model, "DYNAMIC_OBJECT_TYPE", None)
        if object_type is None or unprefixed(name) is None:
            return None
        return field_definition(object_type, name)

    def prefill_value(self, request, field, value):
        """``value`` as the add form's initial value of ``field``; ``ValidationError`` when it cannot take it."""
        if value in ("", []):
            return value
        if field.is_relation:
            # The form's own field: its queryset is what the picker offers.
            form_field = self.formfield_for_dbfield(field, request)
            if form_field is not None:
                form_field.clean(value)
            return value
        converted = field.to_python(value)
        field.validate(converted, None)  # one of its choices, if it has any
        # Date and time widgets show dates and times, not the text of the address.
        return converted if isinstance(field, models.DateField | models.TimeField) else value
