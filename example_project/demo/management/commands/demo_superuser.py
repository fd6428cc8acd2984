"""``manage.py demo_superuser``: the example site's login, created or reset.

Creates the superuser ``admin`` with the password ``admin`` (or resets the password,
and the staff and superuser flags, if the user exists) and prints how to log in.
For the example site only: never use these credentials anywhere else.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs_customer_admin.management.base import PackageCommand

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"
DEFAULT_EMAIL = "admin@example.com"
DEFAULT_ADDRESS = "127.0.0.1:8000"


class Command(PackageCommand):
    @property
    def help(self):
        # A plain string: argparse cannot format a lazy one.
        return gettext("Create the demo superuser (admin / admin), or reset its password, and print the demo login.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--username", default=DEFAULT_USERNAME, help=_("User name of the superuser (default: %(default)s).")
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help=_("Password to set (default: %(default)s)."))
        parser.add_argument(
            "--address",
            default=DEFAULT_ADDRESS,
            help=_("Host and port the site is served on, for the printed login (default: %(default)s)."),
        )

    def handle(self, *args, **options):
        username, password = options["username"], options["password"]
        if not username or not password:
            raise CommandError(gettext("The user name and the password must not be empty."))
        User = get_user_model()
        with transaction.atomic():
            user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
            created = user is None
            if created:
                user = User(**{User.USERNAME_FIELD: username})
                if User.get_email_field_name() in {field.name for field in User._meta.fields}:
                    setattr(user, User.get_email_field_name(), DEFAULT_EMAIL)
            user.is_active = user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        if created:
            message = gettext("Created the superuser %(username)s.")
        else:
            message = gettext("The superuser %(username)s exists; its password has been reset.")
        self.stdout.write(message % {"username": username})
        url = f"http://{options['address']}{reverse('admin:index')}"
        self.stdout.write(
            self.style.SUCCESS(
                gettext("Demo login: %(username)s / %(password)s at %(url)s")
                % {"username": username, "password": password, "url": url}
            )
        )
