"""The admin of dynamic-field definitions (``DynamicField``): a list, and a form a site's
administrator fills without knowing JSON.

The choices of a dropdown or multiselect are a text area with one ``key: label`` per line, not
the JSON the model keeps: that is how people write such lists, and a mistake is named by its
line. A definition is never deleted once it holds values (their foreign key protects it): it is
retired by setting it invalid, which hides it everywhere and keeps its values.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextareaWidget

from ..admin_urls import admin_url
from ..bidi import Phrase, isolate, isolate_text
from ..folding import fold
from ..models import DynamicField
from .display import VALIDITY_LABELS, validity_badge
from .mixins import DatabaseBusyMixin

RETIRING_HELP = _(
    "A field that holds values is not deleted: set it invalid to retire it. It is then hidden "
    "everywhere and keeps its values, which come back when it is valid again."
)


class ChoicesField(forms.CharField):
    """A dropdown's or multiselect's choices as text, one ``key: label`` per line (a line without
    a colon is a key that is its own label); cleaned to the ``{key: label}`` the model keeps."""

    widget = UnfoldAdminTextareaWidget

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key}: {label}" if label != key else key for key, label in value.items())
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        choices, seen = {}, {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            key, _colon, label = line.partition(":")
            key, label = key.strip(), label.strip()
            if not key:
                raise ValidationError(
                    gettext("Line %(line)d: a choice needs a key before the colon."),
                    code="no_key",
                    params={"line": number},
                )
            if fold(key) in seen:
                raise ValidationError(
                    gettext("Line %(line)d: the key %(key)s is on line %(first)d already (keys ignore case)."),
                    code="duplicate_key",
                    params={"line": number, "key": isolate_text(key), "first": seen[fold(key)]},
                )
            seen[fold(key)] = number
            choices[key] = label or key
        return choices


class DynamicFieldForm(forms.ModelForm):
    choices = ChoicesField(
        label=_("choices"),
        required=False,
        help_text=_(
            "Dropdown and multiselect only. One choice per line, as key: label (gold: Gold). The key is "
            "what files, LDAP maps and searches use; the label is what people see. A line without a colon "
            "is a key that is its own label."
        ),
    )

    class Meta:
        model = DynamicField
        fields = [
            "object_type",
            "name",
            "label",
            "field_type",
            "valid",
            "order",
            "personal",
            "choices",
            "default",
            "required",
            "link_template",
            "show_in_list",
            "show_in_card",
            "searchable",
            "filterable",
        ]
        help_texts = {"valid": RETIRING_HELP}


class DynamicFieldAdmin(DatabaseBusyMixin, ModelAdmin):
    form = DynamicFieldForm
    list_display = ["label_column", "key", "object_type", "field_type", "validity", "order", "shows_in"]
    list_filter = ["object_type", "field_type", "valid"]
    search_fields = ["name", "label"]
    ordering = ["object_type", "order", "name_key"]
    actions = None
    fieldsets = [
        (_("Field"), {"fields": ["object_type", "name", "label", "field_type", "valid", "order", "personal"]}),
        (_("Values"), {"fields": ["choices", "default", "required", "link_template"]}),
        (_("Where it shows"), {"fields": ["show_in_list", "show_in_card", "searchable", "filterable"]}),
    ]

    @display(description=_("Label"), ordering="label")
    def label_column(self, obj):
        return isolate(obj.label)

    @display(description=_("Key"), ordering="name_key")
    def key(self, obj):
        return obj.key

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)

    @display(description=_("Shows in"))
    def shows_in(self, obj):
        places = [
            (obj.show_in_list, gettext("list")),
            (obj.show_in_card, gettext("business card")),
            (obj.searchable, gettext("search")),
            (obj.filterable, gettext("filter")),
        ]
        return ", ".join(name for shown, name in places if shown) or "-"

    # --- retiring, not deleting ---

    def has_delete_permission(self, request, obj=None):
        # A definition with values is protected by their foreign key: no Delete button for it.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.has_values())

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.has_values():
            return self.refuse_delete(request, obj)
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError:  # values came in while the confirmation was open
            return self.refuse_delete(request, obj)

    def refuse_delete(self, request, obj):
        count = obj.stored_values().values("record").distinct().count()
        message = ngettext(
            "%(field)s holds values of %(count)s record, so it cannot be deleted. Set it invalid to retire it: "
            "it is then hidden everywhere and keeps its values.",
            "%(field)s holds values of %(count)s records, so it cannot be deleted. Set it invalid to retire it: "
            "it is then hidden everywhere and keeps its values.",
            count,
        )
        messages.error(request, Phrase(message, field=obj.label, count=count).html())
        return HttpResponseRedirect(admin_url(self.admin_site, obj, "change", quote(obj.pk)))
