"""``manage.py load_demo_data``: believable demo customers, customer users, SLAs and tickets.

The work is done by ``otrs_customer_admin.demo``; this command parses the options
and prints the summary.
"""

import argparse

from django.core.management.base import CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...demo import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CUSTOMER_USERS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DemoDataError,
    load_demo_data,
)
from ..base import PackageCommand
from ..progress import Progress


def count(value):
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(gettext("%(value)s is not a whole number of 0 or more.") % {"value": value})
    return number


def positive(value):
    number = count(value)
    if number < 1:
        raise argparse.ArgumentTypeError(gettext("%(value)s is not a whole number of 1 or more.") % {"value": value})
    return number


class Command(PackageCommand):
    @property
    def help(self):
        # A plain string: argparse cannot format a lazy one.
        return gettext(
            "Load believable demo data: customers in several countries, their customer users, SLAs and tickets "
            "in every state. Records are keyed by index, so running it again creates only what is missing."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=count,
            default=DEFAULT_CUSTOMERS,
            help=_("Number of demo customers (default: %(default)s)."),
        )
        parser.add_argument(
            "--customer-users",
            type=count,
            default=DEFAULT_CUSTOMER_USERS,
            help=_("Number of demo customer users (default: %(default)s)."),
        )
        parser.add_argument(
            "--tickets",
            type=count,
            default=DEFAULT_TICKETS,
            help=_("Number of demo tickets (default: %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Seed of the random values; the same seed gives the same data (default: %(default)s)."),
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=DEFAULT_BATCH_SIZE,
            help=_("Records per bulk insert (default: %(default)s)."),
        )
        parser.add_argument("--quiet", action="store_true", help=_("Print nothing unless something goes wrong."))

    def handle(self, *args, **options):
        quiet = options["quiet"] or options["verbosity"] == 0
        verbose = options["verbosity"] >= 2 and not quiet

        try:
            result = load_demo_data(
                customers=options["customers"],
                customer_users=options["customer_users"],
                tickets=options["tickets"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=Progress(self.stdout, "records") if verbose else None,
            )
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        if quiet:
            return
        for counts in result.counts:
            self.stdout.write(
                gettext("%(model)s: %(created)s created, %(present)s already present")
                % {
                    "model": counts.label,
                    "created": number_format(counts.created, force_grouping=True),
                    "present": number_format(counts.present, force_grouping=True),
                }
            )
        self.stdout.write(
            self.style.SUCCESS(gettext("Demo data loaded in %(seconds).1f seconds.") % {"seconds": result.seconds})
        )
