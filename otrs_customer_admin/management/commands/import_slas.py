from django.utils.translation import gettext

from ...importexport.importers import SLAImport
from ..files import ImportCommand


class Command(ImportCommand):
    importer_class = SLAImport

    @property
    def help(self):
        return gettext(
            "Import SLAs (their targets and calendars) from a CSV, TSV, XLSX or JSON file (all rows or none)."
        )
