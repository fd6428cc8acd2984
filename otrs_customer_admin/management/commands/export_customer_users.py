from django.utils.translation import gettext

from otrs_customer_admin.importexport.commands import ExportCommand
from otrs_customer_admin.importexport.resources import CustomerUserResource


class Command(ExportCommand):
    resource_class = CustomerUserResource

    @property
    def help(self):
        return gettext("Export customer users to a CSV, TSV, XLSX or JSON file.")
