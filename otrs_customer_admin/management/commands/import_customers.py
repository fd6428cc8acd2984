from django.utils.translation import gettext

from ...importexport.importers import CustomerImport
from ..files import ImportCommand


class Command(ImportCommand):
    importer_class = CustomerImport

    @property
    def help(self):
        return gettext("Import customers from a CSV, TSV, XLSX or JSON file (all rows or none).")
