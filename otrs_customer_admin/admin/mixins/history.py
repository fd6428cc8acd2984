"""The history of a record's form: what the admin writes when someone saves it, and the history page.

Django's admin writes one ``LogEntry`` a save ("Changed name and city."). Here the same save goes
through ``history.record_history`` with the writer "form": that one admin entry, and (with the
``HISTORY`` setting on) one value entry with each changed field's old and new value, dynamic
fields included. The values are taken in ``save_model``, before the record is written (the old
ones are those the form read: ``forms.SavesChangedFields.stored_values``, and
``record.dynamic_fields.stored``), and written when Django logs the save (``log_addition``,
``log_change``), so that a save writes one admin entry, as before.

The admin's history page (the change form's "History" link) shows the value entries, as the
History widget does, above Django's own list of admin entries (which also tells of what has no
values: a merge's summary); with ``HISTORY`` off, Django's list alone.
"""

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.admin.utils import unquote
from django.core.paginator import Paginator

from ... import history
from ...conf import settings
from ...models.dynamic_fields import prefixed
from ...widgets.builtin import page_links

# The request attribute holding the values a save changes, by record pk, until the save is logged.
PENDING = "otrs_history_values"
# Entries on a page of the admin's history page.
HISTORY_PAGE_ROWS = 50


def remember_values(request, obj, values):
    """``values`` (field name -> ``(old, new)``) are what the save of ``obj`` being logged changed."""
    pending = getattr(request, PENDING, None)
    if pending is None:
        pending = {}
        setattr(request, PENDING, pending)
    pending[obj.pk] = values


def form_values(form, obj, change):
    """Field name -> ``(old, new)`` of what saving ``form`` into ``obj`` changes (call it before the save)."""
    meta = obj._meta
    values = {}
    if change:
        stored = getattr(form, "stored_values", {})
        for name in form.model_fields_changed():
            attname = meta.get_field(name).attname
            values[name] = (stored[name][1] if name in stored else None, getattr(obj, attname))
    else:
        for name in form.fields:
            model_field = next((f for f in meta.concrete_fields if f.name == name), None)
            if model_field is not None:
                values[name] = (None, getattr(obj, model_field.attname))
    for name in form.changed_data if change else form.fields:
        model_field = next((f for f in meta.many_to_many if f.name == name), None)
        if model_field is not None and name in form.cleaned_data:
            old = form.initial.get(name) if change else None
            values[name] = (old, list(form.cleaned_data[name]))
    # What the form saves beside the record's fields (a person's additional addresses).
    if hasattr(form, "history_values"):
        values.update(form.history_values(change))
    dynamic_fields = getattr(obj, "dynamic_fields", None)
    if dynamic_fields is not None:
        for name, new in dynamic_fields.changes().items():
            values[prefixed(name)] = (dynamic_fields.stored(name) if change else None, new)
    return values


class RecordHistoryMixin:
    def save_model(self, request, obj, form, change):
        remember_values(request, obj, form_values(form, obj, change))
        super().save_model(request, obj, form, change)

    def record_form_history(self, request, obj, flag, message):
        values = getattr(request, PENDING, {}).pop(obj.pk, None)
        if values is None and flag == ADDITION:  # saved before its pk was known
            values = getattr(request, PENDING, {}).pop(None, None)
        change = history.Change(obj.pk, str(obj), flag, message, values=values or {})
        history.record_history(request.user, "form", type(obj), [change])

    def log_addition(self, request, obj, message):
        self.record_form_history(request, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        self.record_form_history(request, obj, CHANGE, message)

    def history_view(self, request, object_id, extra_context=None):
        # Django's page of admin entries, and above it the value entries (as the History widget shows them).
        obj = self.get_object(request, unquote(object_id)) if settings.HISTORY else None
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return super().history_view(request, object_id, extra_context)
        page = Paginator(history.entries_of(self.model, obj.pk), HISTORY_PAGE_ROWS).get_page(
            request.GET.get("history-page")
        )
        context = {
            "page": page,
            "entries": history.shown_entries(self.model, page.object_list, viewer=request.user),
            "total": page.paginator.count,
            "page_links": page_links(request, "history", page),
            "media": self.media,  # the package's stylesheet, as on its other pages
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    @property
    def object_history_template(self):
        return "otrs_customer_admin/object_history.html" if settings.HISTORY else None
