"""A sidebar group for a host's ``UNFOLD["SIDEBAR"]["navigation"]``::

    from otrs_customer_admin.admin.navigation import sidebar_group

    UNFOLD = {"SIDEBAR": {"navigation": [sidebar_group(), ...]}}

Links are lazy and each item shows only to users who may view its model.
"""

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

APP_LABEL = "otrs_customer_admin"

ITEMS = (
    ("customer", _("Customers"), "domain"),
    ("customeruser", _("Customer users"), "contacts"),
    ("ticket", _("Tickets"), "confirmation_number"),
    ("sla", _("SLAs"), "timer"),
    ("calendar", _("Calendars"), "calendar_month"),
    ("syncrun", _("Sync runs"), "sync"),
    ("job", _("Jobs"), "work_history"),
    ("dynamicfield", _("Dynamic fields"), "tune"),
    ("importexportprofile", _("Import/export profiles"), "bookmarks"),
    ("customergroup", _("Customer groups"), "groups"),
)


def customer_groups_on():
    from ..models.visibility import group_support  # not at import: a settings module imports this one

    return group_support()


# Items that show only while a setting turns their pages on.
ONLY_WITH = {"customergroup": customer_groups_on}


# Items every staff user sees, whatever their model permissions: each sees their own jobs there.
ANY_STAFF = {"job"}


def can_view(model_name):
    turned_on = ONLY_WITH.get(model_name, lambda: True)

    def permission(request):
        if model_name in ANY_STAFF:
            return request.user.is_active and request.user.is_staff
        return turned_on() and request.user.has_perm(f"{APP_LABEL}.view_{model_name}")

    permission.__name__ = f"can_view_{model_name}"
    return permission


DEFAULT_TITLE = _("Customer management")


def sidebar_group(title=DEFAULT_TITLE, collapsible=False):
    return {
        "title": title,
        "separator": True,
        "collapsible": collapsible,
        "items": [
            {
                "title": label,
                "icon": icon,
                "link": reverse_lazy(f"admin:{APP_LABEL}_{model_name}_changelist"),
                "permission": can_view(model_name),
            }
            for model_name, label, icon in ITEMS
        ],
    }
