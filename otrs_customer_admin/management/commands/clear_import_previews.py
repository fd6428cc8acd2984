"""manage.py clear_import_previews: delete the admin import's uploads nobody confirmed (for cron)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext, ngettext

from ...importexport.previews import clear_expired


class Command(BaseCommand):
    @property
    def help(self):
        return gettext(
            "Delete the files uploaded for admin import previews that were not confirmed within "
            "IMPORT_PREVIEW_TTL. Every import does so too; run this from cron on sites that seldom import."
        )

    def handle(self, *args, **options):
        removed = clear_expired()
        self.stdout.write(
            ngettext(
                "Removed %(count)d expired import preview upload.",
                "Removed %(count)d expired import preview uploads.",
                removed,
            )
            % {"count": removed}
        )
