"""The one way the tests make customers, customer users, tickets and SLAs.

Plain functions, after django-allauth's ``tests/conftest.py`` factories and django-unfold's
``tests/factories.py``: every argument has a believable default, every other model field can be
given as a keyword, and ``build_*`` returns an unsaved instance (for ``full_clean()`` and
``bulk_create()`` tests) where ``make_*`` saves it. The ``acme`` fixture in ``conftest.py`` is
``make_customer()``.

A record of a read-only source is made inside that source's ``writing()`` block, as its sync
would; these functions do not open it.
"""

from otrs_customer_admin.models import SLA, Customer, CustomerUser, Ticket

# A full postal address and web site, for the tests that show one (cards, widgets, links).
ACME_ADDRESS = {"street": "Main Street 1", "zip": "10115", "city": "Berlin", "url": "https://acme.example"}


def build_customer(customer_id="ACME", name="Acme Corporation", *, country="DE", **fields):
    """An unsaved ``Customer``; German unless ``country`` says otherwise."""
    return Customer(customer_id=customer_id, name=name, country=country, **fields)


def make_customer(customer_id="ACME", name="Acme Corporation", **fields):
    """A saved ``Customer`` (see ``build_customer``)."""
    customer = build_customer(customer_id, name, **fields)
    customer.save()
    return customer


def build_customer_user(customer, login="jdoe", first_name="Jane", last_name="Doe", *, email=None, **fields):
    """An unsaved ``CustomerUser`` of ``customer``; the email is ``<login>@<customer id>.example`` unless given."""
    if email is None:
        email = f"{login}@{customer.customer_id.lower()}.example" if customer is not None else f"{login}@example.com"
    return CustomerUser(
        login=login, first_name=first_name, last_name=last_name, email=email, customer=customer, **fields
    )


def make_customer_user(customer, login="jdoe", first_name="Jane", last_name="Doe", **fields):
    """A saved ``CustomerUser`` (see ``build_customer_user``)."""
    user = build_customer_user(customer, login, first_name, last_name, **fields)
    user.save()
    return user


def build_ticket(customer, title="Printer on fire", **fields):
    """An unsaved ``Ticket`` of ``customer``: state ``new`` and the next ticket number unless given."""
    return Ticket(title=title, customer=customer, **fields)


def make_ticket(customer, title="Printer on fire", **fields):
    """A saved ``Ticket`` (see ``build_ticket``)."""
    ticket = build_ticket(customer, title, **fields)
    ticket.save()
    return ticket


def make_sla(name="Gold", first_response_time=60, update_time=120, solution_time=480, **fields):
    """A saved ``SLA``; the targets are minutes (``None`` for no target)."""
    return SLA.objects.create(
        name=name,
        first_response_time=first_response_time,
        update_time=update_time,
        solution_time=solution_time,
        **fields,
    )
