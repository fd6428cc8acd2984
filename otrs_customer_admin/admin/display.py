"""Small renderers for list columns: links that open a business card, validity badges."""

from functools import lru_cache

from django.contrib.admin.utils import quote
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html

from ..models import Validity

VALIDITY_LABELS = {
    Validity.VALID: "success",
    Validity.INVALID: "danger",
    Validity.INVALID_TEMPORARILY: "warning",
}


PK_PLACEHOLDER = "~pk~"


@lru_cache(maxsize=256)
def _url_pattern(name, current_app, script_prefix, urlconf):
    return reverse(name, args=[PK_PLACEHOLDER], current_app=current_app, urlconf=urlconf)


def reverse_one(name, arg, current_app="admin"):
    """``reverse(name, args=[arg])`` for the admin's per-object URLs, resolved once per name:
    a list of 100 rows with two card links each would otherwise resolve 400 URLs."""
    pattern = _url_pattern(name, current_app, get_script_prefix(), get_urlconf())
    return pattern.replace(PK_PLACEHOLDER, str(arg))


def object_url(name, pk, current_app="admin"):
    return reverse_one(name, quote(pk), current_app)


def _forget_url_patterns(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _url_pattern.cache_clear()


setting_changed.connect(_forget_url_patterns, dispatch_uid="otrs_customer_admin.admin.display.url_patterns")


def card_link(obj, text, current_app="admin"):
    """A link to ``obj``'s detail view that shows its business card on hover and focus."""
    if obj is None:
        return "-"
    prefix = f"{current_app}:{obj._meta.app_label}_{obj._meta.model_name}"
    return format_html(
        '<a href="{}" data-otrs-card="{}" class="otrs-card-link text-primary-600 dark:text-primary-500">{}</a>',
        object_url(f"{prefix}_detail", obj.pk, current_app),
        object_url(f"{prefix}_card", obj.pk, current_app),
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
