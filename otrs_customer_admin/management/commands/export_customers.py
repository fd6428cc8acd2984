from django.utils.translation import gettext

from ...importexport.resources import CustomerResource
from ..files import ExportCommand


class Command(ExportCommand):
    resource_class = CustomerResource

    @property
    def help(self):
        return gettext("Export customers to a CSV, TSV, XLSX or JSON file.")
