from django.utils.translation import gettext

from otrs_customer_admin.importexport.commands import ImportCommand
from otrs_customer_admin.importexport.importers import CustomerImport


class Command(ImportCommand):
    importer_class = CustomerImport

    @property
    def help(self):
        return gettext("Import customers from a CSV, TSV, XLSX or JSON file (all rows or none).")
