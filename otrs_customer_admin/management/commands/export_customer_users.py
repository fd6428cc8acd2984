from otrs_customer_admin.importexport.commands import ExportCommand
from otrs_customer_admin.importexport.resources import CustomerUserResource


class Command(ExportCommand):
    help = "Export customer users to a CSV, TSV, XLSX or JSON file."
    resource_class = CustomerUserResource
