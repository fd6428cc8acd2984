from otrs_customer_admin.importexport.commands import ImportCommand
from otrs_customer_admin.importexport.engine import CustomerImport


class Command(ImportCommand):
    help = "Import customers from a CSV, TSV, XLSX or JSON file (all rows or none)."
    importer_class = CustomerImport
