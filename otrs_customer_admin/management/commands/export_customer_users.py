from django.utils.translation import gettext

from ...importexport.resources import CustomerUserResource
from ..files import ExportCommand


class Command(ExportCommand):
    resource_class = CustomerUserResource

    @property
    def help(self):
        return gettext("Export customer users to a CSV, TSV, XLSX or JSON file.")
