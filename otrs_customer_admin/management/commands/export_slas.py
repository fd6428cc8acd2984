from django.utils.translation import gettext

from ...models import SLA
from ..files import ExportCommand


class Command(ExportCommand):
    model = SLA

    @property
    def help(self):
        return gettext("Export SLAs (their targets and calendars) to a CSV, TSV, XLSX or JSON file.")
