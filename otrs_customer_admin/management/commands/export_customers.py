from otrs_customer_admin.importexport.commands import ExportCommand
from otrs_customer_admin.importexport.resources import CustomerResource


class Command(ExportCommand):
    help = "Export customers to a CSV, TSV, XLSX or JSON file."
    resource_class = CustomerResource
