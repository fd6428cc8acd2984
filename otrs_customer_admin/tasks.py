"""Tasks for Django's tasks framework (Django 6+): the admin's Sync now enqueues one when the site
has configured a task backend, so that a long sync runs in a worker instead of the request."""

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils.translation import gettext as _

from .datasources import SyncError, get_data_source
from .directory_sync import run_sync


@task
def sync_data_source(source_key, user_id=None):
    """Sync one source; returns its counts (the ``SyncRun`` records the outcome either way)."""
    source = get_data_source(source_key)
    if source is None or not source.can_sync:
        raise SyncError(_("%(key)s is not a data source that syncs.") % {"key": source_key})
    user = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    return run_sync(source, user=user).counts
