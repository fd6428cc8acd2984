from django.utils.translation import gettext

from ...models import Customer
from ..files import ExportCommand


class Command(ExportCommand):
    model = Customer

    @property
    def help(self):
        return gettext("Export customers to a CSV, TSV, XLSX or JSON file.")
