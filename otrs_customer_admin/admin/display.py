"""Small renderers for list columns: links that open a business card, validity badges."""

from django.contrib.admin.utils import quote
from django.utils.html import format_html

from ..admin_urls import admin_url
from ..models import Validity

VALIDITY_LABELS = {
    Validity.VALID: "success",
    Validity.INVALID: "danger",
    Validity.INVALID_TEMPORARILY: "warning",
}


def card_link(site, obj, text):
    """A link to ``obj``'s detail view on ``site`` that shows its business card on hover and focus."""
    if obj is None:
        return "-"
    return format_html(
        '<a href="{}" data-otrs-card="{}" class="otrs-card-link text-primary-600 dark:text-primary-500">{}</a>',
        admin_url(site, obj, "detail", quote(obj.pk)),
        admin_url(site, obj, "card", quote(obj.pk)),
        text,
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
