from django.utils.translation import gettext

from otrs_customer_admin.importexport.commands import ImportCommand
from otrs_customer_admin.importexport.engine import CustomerUserImport


class Command(ImportCommand):
    importer_class = CustomerUserImport

    @property
    def help(self):
        return gettext("Import customer users from a CSV, TSV, XLSX or JSON file (all rows or none).")
