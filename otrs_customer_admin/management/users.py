"""What the package's commands share: the admin user a ``--user`` option names."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def find_user(username):
    """The user called ``username``; a ``CommandError`` saying so when there is none."""
    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        raise CommandError(_("There is no user %(username)s.") % {"username": username}) from None
