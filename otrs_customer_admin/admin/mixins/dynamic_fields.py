"""The record's dynamic fields on its change form: a "Dynamic fields" section, and on a
directory's record, a form for the fields its source does not map.

The form fields themselves are ``forms.DynamicFieldsForm``'s. Here: the section of the page
(one fieldset listing ``DynamicField_<Name>`` per valid definition), the fields shown read-only
(those the record's source maps, or all when the user may only view), and the change form of a
read-only record whose unmapped dynamic fields the user may change.

That last one is Django's own change form with every built-in field read-only, its inlines
view-only, and its save going through ``record.save_dynamic_fields()``. Django decides what the
form may do by ``has_change_permission(request, obj)``, which stays False for a directory's
record everywhere else (lists, actions, widgets): only the change view of that one record, for
a user allowed to change its dynamic fields, turns it on (``changing_dynamic_fields_only``).
"""

from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.utils.translation import gettext_lazy as _

from ...models.dynamic_fields import field_definition, field_definitions, unprefixed
from ..display import dynamic_value

# The request attribute naming the record (its pk as text) whose change view edits its dynamic fields only.
DYNAMIC_FIELDS_ONLY = "otrs_dynamic_fields_only"


def _refuse(request, obj=None):
    return False


class DynamicFieldsMixin:
    dynamic_fields_title = _("Dynamic fields")

    # --- the section -------------------------------------------------------------------------------

    def dynamic_field_definitions(self):
        return field_definitions(self.model.DYNAMIC_OBJECT_TYPE)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        keys = [definition.key for definition in self.dynamic_field_definitions()]
        if keys:
            fieldsets.append((self.dynamic_fields_title, {"fields": keys}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form adds its dynamic fields itself; the model has no field of those names.
        fields = kwargs.get("fields")
        if fields is None:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [name for name in fields if unprefixed(name) is None]
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and self.changing_dynamic_fields_only(request, obj):
            locked = [name for name in self.get_readonly_fields(request, obj) if name not in self.editable_keys(obj)]
            form = type(form.__name__, (form,), {"locked_fields": tuple(locked)})
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        editable = self.editable_keys(obj)
        if self.changing_dynamic_fields_only(request, obj):
            shown = flatten_fieldsets(self.get_fieldsets(request, obj))
            fields += [name for name in shown if name not in editable and name not in fields]
        else:
            fields += [
                definition.key for definition in obj.dynamic_fields.definitions if definition.key not in editable
            ]
        return fields

    @staticmethod
    def editable_keys(obj):
        return {definition.key for definition in obj.dynamic_fields.editable()}

    def __getattr__(self, name):
        """``DynamicField_<Name>`` as a read-only field of the page: the value as a person reads it."""
        model = self.__dict__.get("model")
        definition = None
        if model is not None and unprefixed(name) is not None:
            definition = field_definition(model.DYNAMIC_OBJECT_TYPE, name)
        if definition is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def show(obj):
            return dynamic_value(definition, obj.dynamic_fields[definition.name])

        show.short_description = definition.label
        return show

    # --- a directory's record: its unmapped dynamic fields alone ----------------------------------

    # ``has_dynamic_fields_permission(request, obj)``: see ``SourcedRecordAdmin``.

    def changing_dynamic_fields_only(self, request, obj):
        """True in the change view of ``obj``: a directory's record whose unmapped dynamic fields
        the user may change."""
        chosen = getattr(request, DYNAMIC_FIELDS_ONLY, None) == str(obj.pk)
        return chosen and self.has_dynamic_fields_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        setattr(request, DYNAMIC_FIELDS_ONLY, str(unquote(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The read-only notice says what may still change here.
        context["dynamic_fields_editable"] = obj is not None and self.changing_dynamic_fields_only(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and self.changing_dynamic_fields_only(request, obj):
            for inline in inlines:  # shown as they are to someone who may only view the record
                inline.has_add_permission = inline.has_change_permission = inline.has_delete_permission = _refuse
                inline.max_num = 0
        return inlines

    def save_model(self, request, obj, form, change):
        if change and self.changing_dynamic_fields_only(request, obj):
            obj.save_dynamic_fields()
        else:
            super().save_model(request, obj, form, change)
