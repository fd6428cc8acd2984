"""manage.py export_person LOGIN: everything stored about a person, as one JSON document (GDPR Art. 15)."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ...folding import fold
from ...models import CustomerUser
from ...privacy import export_person
from ..base import PackageCommand


class Command(PackageCommand):
    help = _(
        "Write everything stored about the customer user LOGIN (ignoring case) as one JSON document: the record, "
        "additional addresses and customers, dynamic fields, tickets and history."
    )

    def add_arguments(self, parser):
        parser.add_argument("login", metavar="LOGIN", help=_("The login of the customer user."))
        parser.add_argument("--output", metavar="FILE", help=_("Write to FILE instead of the standard output."))

    def handle(self, *args, **options):
        person = CustomerUser.objects.filter(login_key=fold(options["login"])).select_related("customer").first()
        if person is None:
            raise CommandError(_("There is no customer user with the login %(logins)s.") % {"logins": options["login"]})
        document = export_person(person)
        if options["output"]:
            try:
                Path(options["output"]).write_text(document + "\n", encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    _("%(file)s cannot be written: %(error)s") % {"file": options["output"], "error": error.strerror}
                ) from None
        else:
            self.stdout.write(document)
