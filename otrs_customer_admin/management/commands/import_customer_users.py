from otrs_customer_admin.importexport.commands import ImportCommand
from otrs_customer_admin.importexport.engine import CustomerUserImport


class Command(ImportCommand):
    help = "Import customer users from a CSV, TSV, XLSX or JSON file (all rows or none)."
    importer_class = CustomerUserImport
