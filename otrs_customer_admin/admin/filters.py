"""List filters and search shared by the package's changelists."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.contrib.filters.forms import AutocompleteDropdownForm

from ..bidi import isolate_text
from ..datasources import data_source_choices
from ..models import Calendar, Customer, Validity
from ..models.dynamic_field_types import FieldType
from ..models.dynamic_values import dynamic_field_q
from ..models.visibility import restricted
from ..search import folded_search_fields, search_q_or_literal


class ValidityFilter(admin.SimpleListFilter):
    """Valid records by default, as OTRS's lists; invalid ones on request."""

    title = _("validity")
    parameter_name = "validity"
    default = Validity.VALID.machine_name

    def lookups(self, request, model_admin):
        return [(member.machine_name, member.label) for member in Validity] + [("all", _("all"))]

    def value(self):
        value = super().value()
        return value if value == "all" or Validity.from_machine_name(value) else self.default

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == "all" else queryset.filter(valid=Validity.from_machine_name(value))

    def choices(self, changelist):
        # No separate "All" entry: "all" is one of the lookups and "valid" the default.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class CalendarFilter(admin.SimpleListFilter):
    """SLAs by the calendar their deadlines count in, or those around the clock."""

    title = _("calendar")
    parameter_name = "calendar"
    AROUND_THE_CLOCK = "none"

    def lookups(self, request, model_admin):
        return [(self.AROUND_THE_CLOCK, _("Around the clock"))] + [
            (str(pk), isolate_text(name)) for pk, name in Calendar.objects.values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.AROUND_THE_CLOCK:
            return queryset.filter(calendar__isnull=True)
        if value and value.isdigit():
            return queryset.filter(calendar_id=int(value))
        return queryset


class VisibleChoiceForm(AutocompleteDropdownForm):
    """The form of an autocomplete filter whose chosen record is named only when the user sees it."""

    def __init__(self, request, name, *args, **kwargs):
        super().__init__(request, name, *args, **kwargs)
        field = self.fields[name]
        field.queryset = field.queryset.visible_to(request.user)


class VisibleAutocompleteSelectFilter(AutocompleteSelectFilter):
    """An autocomplete filter on a customer or a customer user (customer groups): it offers, names
    and matches only records the user sees; the key of a hidden one, typed into the URL, lists nothing."""

    form_class = VisibleChoiceForm

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        if self.value() in (None, "", []) or not restricted(request.user):
            return queryset
        chosen = self.field.related_model.objects.visible_to(request.user).filter(pk=OuterRef(self.field_path))
        return queryset.filter(Exists(chosen))


class WorksForCustomerFilter(VisibleAutocompleteSelectFilter):
    """The customer filter of the customer-user list: the customer's people, whether it is their
    own customer or one they also work for. A customer the user does not see lists nobody, not
    even the people of theirs who also work for it."""

    def queryset(self, request, queryset):
        value = self.used_parameters.get(self.lookup_kwarg)
        if isinstance(value, list):
            value = value[-1] if value else None
        if not value:
            return queryset
        try:
            # Read as the key of a customer, as Django's own related-field filters do.
            customer = queryset.model._meta.get_field("customer").target_field.to_python(value)
        except ValidationError as error:
            raise IncorrectLookupParameters(error) from error
        people = queryset.working_for(customer)
        if restricted(request.user):
            people = people.filter(Exists(Customer.objects.visible_to(request.user).filter(pk=customer)))
        return people


class DataSourceFilter(admin.SimpleListFilter):
    title = _("data source")
    parameter_name = "data_source"

    def lookups(self, request, model_admin):
        return data_source_choices()

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(data_source=value) if value else queryset


class YesNoFilter(admin.SimpleListFilter):
    """A filter whose "yes" is a queryset method and "no" its complement."""

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def matching(self, queryset):
        raise NotImplementedError

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return self.matching(queryset)
        if value == "no":
            return queryset.exclude(pk__in=self.matching(queryset.model.objects.all()).values("pk"))
        return queryset


class PossibleDuplicatesFilter(YesNoFilter):
    """Customers whose names are equal but for case, accents, punctuation and legal forms
    ("ACME GmbH", "Acme G.m.b.H."); customer users sharing an address, or a full name at one
    customer. The list then shows each group together (the admin's ``get_ordering``)."""

    title = _("possible duplicates")
    parameter_name = "duplicates"

    def matching(self, queryset):
        return queryset.possible_duplicates()


class StateTypeFilter(admin.SimpleListFilter):
    """Open (new, open, pending) or closed tickets, as OTRS counts them."""

    title = _("open or closed")
    parameter_name = "state_type"

    def lookups(self, request, model_admin):
        return [("open", _("open")), ("closed", _("closed"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.open()
        if value == "closed":
            return queryset.closed()
        return queryset


class EscalatedFilter(YesNoFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def matching(self, queryset):
        return queryset.escalated(timezone.now())


class ReminderDueFilter(YesNoFilter):
    title = _("reminder due")
    parameter_name = "reminder_due"

    def matching(self, queryset):
        return queryset.reminders_due(timezone.now())


class DynamicFieldFilter(admin.SimpleListFilter):
    """The filter of one filterable dynamic field (``of(definition)`` makes its class): named by
    the field's label, its parameter the field's name (``?DynamicField_Tier=gold``). A value the
    filter does not offer is refused as Django refuses a bad lookup (back to the list, no filter)."""

    field = None  # the definition

    @staticmethod
    def of(field):
        base = DYNAMIC_FILTERS[field.field_type]
        return type(
            f"{base.__name__}_{field.name}",
            (base,),
            {"field": field, "title": isolate_text(field.label), "parameter_name": field.key},
        )

    def matching(self, queryset, value):
        raise NotImplementedError

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in dict(self.lookup_choices):
            raise IncorrectLookupParameters(value)
        return queryset.filter(self.matching(queryset, value))


class DynamicChoiceFilter(DynamicFieldFilter):
    """A dropdown or multiselect: one choice (a multiselect matches when it holds it)."""

    def lookups(self, request, model_admin):
        return [(key, isolate_text(label)) for key, label in (self.field.choices or {}).items()]

    def matching(self, queryset, value):
        return dynamic_field_q(queryset.model, self.field, value)


class DynamicCheckboxFilter(DynamicFieldFilter):
    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def matching(self, queryset, value):
        return dynamic_field_q(queryset.model, self.field, value == "yes")


class DynamicDateFilter(DynamicFieldFilter):
    """A date: presets around today (in the site's time zone), and "no date"."""

    def lookups(self, request, model_admin):
        return [
            ("past", _("before today")),
            ("today", _("today")),
            ("next-30-days", _("in the next 30 days")),
            ("this-year", _("this year")),
            ("later", _("after today")),
            ("empty", _("no date")),
        ]

    def matching(self, queryset, value):
        model, field, today = queryset.model, self.field, timezone.localdate()
        conditions = {
            "past": lambda: dynamic_field_q(model, field, today, lookup="lt"),
            "today": lambda: dynamic_field_q(model, field, today),
            "next-30-days": lambda: dynamic_field_q(
                model, field, (today, today + datetime.timedelta(days=30)), lookup="range"
            ),
            "this-year": lambda: dynamic_field_q(
                model, field, (today.replace(month=1, day=1), today.replace(month=12, day=31)), lookup="range"
            ),
            "later": lambda: dynamic_field_q(model, field, today, lookup="gt"),
            "empty": lambda: dynamic_field_q(model, field, True, lookup="isnull"),
        }
        return conditions[value]()


DYNAMIC_FILTERS = {
    FieldType.DROPDOWN: DynamicChoiceFilter,
    FieldType.MULTISELECT: DynamicChoiceFilter,
    FieldType.CHECKBOX: DynamicCheckboxFilter,
    FieldType.DATE: DynamicDateFilter,
}


SEARCH_HELP = _(
    'OTRS syntax: * is a wildcard; AND (+, &&), OR (||), NOT (!), "quoted phrases" and parentheses; case-insensitive.'
)


class OtrsSearchMixin:
    """Changelist and autocomplete search in OTRS syntax over ``search_fields``.

    Pickers (autocomplete) offer valid records only, as OTRS's do; models
    without validity (tickets) set ``picker_valid_only = False``.
    """

    search_help_text = SEARCH_HELP
    picker_valid_only = True

    def get_search_results(self, request, queryset, search_term):
        condition, problem = search_q_or_literal(search_term, folded_search_fields(self.model, self.search_fields))
        if problem:
            messages.warning(
                request,
                gettext("Your search could not be read as OTRS syntax (%(problem)s); it was matched literally.")
                % {"problem": problem},
            )
        if self.picker_valid_only and request.path.endswith("/autocomplete/"):
            queryset = queryset.filter(valid=Validity.VALID)
        return queryset.filter(condition), False
