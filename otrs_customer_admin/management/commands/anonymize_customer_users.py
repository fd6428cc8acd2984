"""manage.py anonymize_customer_users LOGIN…: replace people's personal data (GDPR Art. 17), or erase them."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ...directory_sync import history_user
from ...folding import fold
from ...models import CustomerUser
from ...privacy import AnonymizationRefused, anonymize_customer_users, erase_customer_users
from ..base import PackageCommand
from ..users import find_user


class Command(PackageCommand):
    help = _(
        "Anonymise the customer users LOGIN… (ignoring case): their names, login, addresses, phones, postal "
        "address, comment and personal dynamic fields are replaced, their additional addresses deleted, the "
        "old values taken out of the history; they are set invalid, their tickets and links stay. All in one "
        "transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("logins", metavar="LOGIN", nargs="+", help=_("The login of a customer user."))
        parser.add_argument("--dry-run", action="store_true", help=_("List what would change; write nothing."))
        parser.add_argument(
            "--erase",
            action="store_true",
            help=_(
                "Where the site allows deletion (ALLOW_DELETE): delete the people without tickets (a tombstone "
                "stays in the history) and anonymise those with tickets."
            ),
        )
        parser.add_argument(
            "--user",
            help=_(
                "The username the history names (default: the package's own account); with customer groups on, "
                "this user needs read and write on each person's customer."
            ),
        )

    def handle(self, *args, **options):
        people = self.find_people(options["logins"])
        user = find_user(options["user"]) if options["user"] else None
        dry_run = options["dry_run"]
        author = None if dry_run else history_user(user)
        try:
            if options["erase"]:
                report = erase_customer_users(people, user=author, dry_run=dry_run, viewer=user)
                self.print_erasure(report)
            else:
                report = anonymize_customer_users(people, user=author, dry_run=dry_run, viewer=user)
                self.print_anonymization(report)
        except AnonymizationRefused as refused:
            raise CommandError(_("Nothing was changed: %(reasons)s") % {"reasons": " ".join(refused.reasons)}) from None

    def find_people(self, logins):
        keys = {fold(login): login for login in logins}
        found = {person.login_key: person for person in CustomerUser.objects.filter(login_key__in=keys)}
        missing = [login for key, login in keys.items() if key not in found]
        if missing:
            raise CommandError(
                _("There is no customer user with the login %(logins)s.") % {"logins": ", ".join(missing)}
            )
        return [found[key] for key in keys]

    def print_anonymization(self, report):
        if report.dry_run:
            self.stdout.write(_("Anonymising (dry run, nothing written):"))
        else:
            self.stdout.write(_("Anonymised:"))
        for plan in report.anonymized:
            self.stdout.write(f"  {plan.person}")
            for label, old, new in plan.changes():
                self.stdout.write(f"    {label}: {old} → {new}")
            self.stdout.write("    " + _("tickets kept: %(count)d") % {"count": plan.ticket_count})
        for plan in report.already:
            self.stdout.write("  " + _("%(person)s is anonymised already.") % {"person": plan.person})

    def print_erasure(self, report):
        if report.dry_run:
            self.stdout.write(_("Erasing (dry run, nothing written):"))
        for login in report.deleted:
            self.stdout.write("  " + _("%(login)s: deleted (no tickets).") % {"login": login})
        if report.anonymized is not None:
            for plan in report.anonymized.anonymized:
                self.stdout.write(
                    "  "
                    + _("%(login)s has %(count)d tickets: anonymised instead of deleted.")
                    % {"login": plan.person.login, "count": plan.ticket_count}
                )
