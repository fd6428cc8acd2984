from django.utils.translation import gettext

from ...models import CustomerUser
from ..files import ExportCommand


class Command(ExportCommand):
    model = CustomerUser

    @property
    def help(self):
        return gettext("Export customer users to a CSV, TSV, XLSX or JSON file.")
