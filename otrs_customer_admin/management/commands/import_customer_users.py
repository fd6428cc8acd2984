from django.utils.translation import gettext, gettext_lazy

from ...importexport.importers import CustomerUserImport
from ..files import ImportCommand


class Command(ImportCommand):
    importer_class = CustomerUserImport

    @property
    def help(self):
        return gettext("Import customer users from a CSV, TSV, XLSX or JSON file (all rows or none).")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--default-customer",
            default="",
            metavar="CUSTOMER_ID",
            help=gettext_lazy(
                "The customer of new customer users whose row names none (Zammad's users often have none)."
            ),
        )

    def importer_options(self, options):
        return {"default_customer": options["default_customer"]}
