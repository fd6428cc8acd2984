"""Small renderers for list columns: links that open a business card, validity badges, moments."""

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from ..admin_urls import record_links
from ..bidi import isolate
from ..models import Validity
from ..models.calendars import format_ranges
from ..models.dynamic_field_types import FieldType, display_value, is_empty

VALIDITY_LABELS = {
    Validity.VALID: "success",
    Validity.INVALID: "danger",
    Validity.INVALID_TEMPORARILY: "warning",
}


def card_link(site, obj, text):
    """A link to ``obj``'s detail view on ``site`` that shows its business card on hover and focus;
    ``text`` is user text, isolated (``bidi.isolate``)."""
    if obj is None:
        return "-"
    links = record_links(site, obj)
    return format_html(
        '<a href="{}" data-otrs-card="{}" class="otrs-card-link text-primary-600 dark:text-primary-500">{}</a>',
        links["detail"],
        links["card"],
        isolate(text),
    )


def validity_badge(obj):
    """A ``(key, text)`` pair for unfold's ``@display(label=VALIDITY_LABELS)``."""
    return obj.valid, obj.get_valid_display()


def edit_link(url, label):
    return format_html(
        '<a href="{}" title="{}" aria-label="{}" class="otrs-edit-link">'
        '<span class="material-symbols-outlined" aria-hidden="true">edit</span></a>',
        url,
        label,
        label,
    )


def moment_text(value):
    """A moment as every list of the package shows it: the local SHORT_DATETIME_FORMAT."""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def moment(value):
    """A list cell's moment: ``<time>`` with the local SHORT_DATETIME_FORMAT, or ``-``."""
    if value is None:
        return "-"
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), moment_text(value))


def working_week(calendar):
    """A calendar's working hours in a line, "Mon-Fri 08:00-17:00; Sat 09:00-12:00" (an en dash
    between the days): weekdays in a row with the same ranges together, days off left out. The
    calendar list and the ticket's page both show it."""
    try:
        week = calendar.weekday_ranges()
    except ValidationError:
        return gettext("Working hours with errors")
    groups = []  # [first weekday, last weekday, ranges]
    for day, ranges in enumerate(week):
        if groups and groups[-1][2] == ranges:
            groups[-1][1] = day
        else:
            groups.append([day, day, ranges])
    parts = []
    for first, last, ranges in groups:
        if ranges:
            days = WEEKDAYS_ABBR[first] if first == last else f"{WEEKDAYS_ABBR[first]}\N{EN DASH}{WEEKDAYS_ABBR[last]}"
            parts.append(f"{days} {format_ranges(ranges)}")
    return "; ".join(parts) or gettext("No working time")


def dynamic_value(definition, value):
    """A dynamic field's value as HTML: what a person reads (``display_value``), isolated, and a
    link opening in a new tab where the field has a link template (each key of a multiselect its
    own); ``None`` (a list's "-") when empty. A checkbox always shows Yes or No."""
    if definition.field_type != FieldType.CHECKBOX and is_empty(value):
        return None
    if definition.field_type == FieldType.MULTISELECT and definition.link_template:
        return format_html_join(", ", "{}", ((_linked(definition, [key]),) for key in value))
    return _linked(definition, value)


def _linked(definition, value):
    text = isolate(display_value(definition, value))
    url = definition.link(value)
    if not url:
        return text
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer" class="text-primary-600 dark:text-primary-500">{}</a>',
        url,
        text,
    )
