from django.utils.translation import gettext

from otrs_customer_admin.importexport.commands import ExportCommand
from otrs_customer_admin.importexport.resources import CustomerResource


class Command(ExportCommand):
    resource_class = CustomerResource

    @property
    def help(self):
        return gettext("Export customers to a CSV, TSV, XLSX or JSON file.")
