"""Small renderers for list columns: links that open a business card, validity badges."""

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.html import format_html

from ..models import Validity

VALIDITY_LABELS = {
    Validity.VALID: "success",
    Validity.INVALID: "danger",
    Validity.INVALID_TEMPORARILY: "warning",
}


def card_link(obj, text, current_app="admin"):
    """A link to ``obj``'s detail view that shows its business card on hover and focus."""
    if obj is None:
        return "-"
    prefix = f"{current_app}:{obj._meta.app_label}_{obj._meta.model_name}"
    return format_html(
        '<a href="{}" data-otrs-card="{}" class="otrs-card-link text-primary-600 dark:text-primary-500">{}</a>',
        reverse(f"{prefix}_detail", args=[quote(obj.pk)], current_app=current_app),
        reverse(f"{prefix}_card", args=[quote(obj.pk)], current_app=current_app),
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
