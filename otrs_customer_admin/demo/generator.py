"""The demo data generator: ``DemoDataGenerator`` and ``load_demo_data``.

Each record draws its values from a random generator seeded from ``(seed, kind, index)``,
from the tables in ``countries`` and ``tables``; ``bulk`` writes the batches.
"""

import dataclasses
import gc
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from django.conf import settings
from django.db import reset_queries
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from ..datasources import default_data_source_key
from ..folding import fold
from ..models import SLA, Calendar, Customer, CustomerGroup, CustomerUser, Ticket, TicketState, Validity
from ..models.base import replaying_history
from ..models.ticket_counters import recount_tickets
from ..models.ticket_states import CLOSED_STATES, PENDING_STATES
from . import customer_groups, dynamic_fields
from .bulk import Constructor, RowWriter, collecting_garbage_per_batch, large_sqlite_cache, one_transaction
from .countries import COUNTRIES, GERMAN_SPEAKING, ascii_letters, domain_for
from .tables import (
    CUSTOMER_COMMENTS,
    CUSTOMER_USER_COMMENTS,
    CUSTOMER_USER_VALIDITY_WEIGHTS,
    CUSTOMER_VALIDITY_WEIGHTS,
    DEMO_CALENDAR,
    FORCED_CUSTOMER_USER_VALIDITY,
    FORCED_CUSTOMER_VALIDITY,
    INVALID_COMMENTS,
    PAUSED_COMMENTS,
    PRIORITY_WEIGHTS,
    SLA_CALENDARS,
    SLA_TIER_LIMITS,
    SLAS,
    STATE_ORDER,
    STATE_WEIGHTS,
    TICKET_TITLES,
)

DEFAULT_CUSTOMERS = 50
DEFAULT_CUSTOMER_USERS = 300
DEFAULT_TICKETS = 2000
DEFAULT_SEED = 4711
DEFAULT_BATCH_SIZE = 5000

CUSTOMER_ID_PREFIX = "DEMO-"
TICKET_NUMBER_PREFIX = "DEMO"

# How far back demo tickets reach.
HISTORY_DAYS = 180

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Record kinds, mixed into the per-record seeds.
_KIND_CUSTOMER, _KIND_CUSTOMER_USER, _KIND_TICKET, _KIND_CUSTOMER_FIELDS, _KIND_CUSTOMER_USER_FIELDS = 1, 2, 3, 4, 5


# The first customers are key accounts: together they send this share of all tickets.
KEY_ACCOUNTS = 4
KEY_ACCOUNT_SHARE = 0.05


class DemoDataError(Exception):
    """The demo data cannot be loaded (no writable data source, impossible counts)."""


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def demo_customer_id(index):
    return f"{CUSTOMER_ID_PREFIX}{index + 1:05d}"


def demo_ticket_number(index):
    return f"{TICKET_NUMBER_PREFIX}{index + 1:07d}"


_CUSTOMER_ID_RE = re.compile(rf"^{re.escape(CUSTOMER_ID_PREFIX)}([0-9]+)\Z", re.IGNORECASE)
_TICKET_NUMBER_RE = re.compile(rf"^{re.escape(TICKET_NUMBER_PREFIX)}([0-9]+)\Z")
_LOGIN_RE = re.compile(r"^[a-z]+\.[a-z]+([1-9][0-9]*)\Z")


def _index_from_key(regex, key, formatter):
    """The index encoded in a demo key, or ``None`` if ``key`` is not exactly such a key."""
    match = regex.match(key)
    if match is None:
        return None
    index = int(match[1]) - 1
    return index if index >= 0 and formatter(index).lower() == key.lower() else None


def _seed_for(seed, kind, index):
    # Distinct integers for distinct (seed, kind, index); random.Random seeds from all bits.
    return (abs(seed) * 2 + (seed < 0)) * (1 << 44) + kind * (1 << 40) + index


def _weighted_choice(pairs):
    """A picker ``rng -> value`` for ``(value, weight)`` pairs: ``rng.choices`` with the
    running totals (``cum_weights``) summed once, not on every draw.

    Each draw takes exactly one ``rng.random()``, so a seeded generator gives the same
    values in the same order.
    """
    values = [value for value, _weight in pairs]
    cum_weights = list(accumulate(weight for _value, weight in pairs))

    def pick(rng):
        return rng.choices(values, cum_weights=cum_weights)[0]

    return pick


_pick_country = _weighted_choice([(country, country.weight) for country in COUNTRIES])
_pick_state = _weighted_choice(STATE_WEIGHTS)
_pick_priority = _weighted_choice(PRIORITY_WEIGHTS)
_pick_customer_validity = _weighted_choice(CUSTOMER_VALIDITY_WEIGHTS)
_pick_customer_user_validity = _weighted_choice(CUSTOMER_USER_VALIDITY_WEIGHTS)


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


@dataclass
class ModelCounts:
    """How many records of ``model`` a run created and how many were there already."""

    model: type
    created: int = 0
    present: int = 0

    @property
    def label(self):
        return capfirst(self.model._meta.verbose_name_plural)


@dataclass
class DemoDataResult:
    counts: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def __getitem__(self, model):
        return next(counts for counts in self.counts if counts.model is model)


@dataclass
class _CustomerInfo:
    pk: int
    country: str
    domain: str
    sla: object
    key_account: bool = False


class DemoDataGenerator:
    """Create what is missing of the demo data set ``(customers, customer_users, tickets, seed)``."""

    def __init__(
        self,
        customers=DEFAULT_CUSTOMERS,
        customer_users=DEFAULT_CUSTOMER_USERS,
        tickets=DEFAULT_TICKETS,
        seed=DEFAULT_SEED,
        batch_size=DEFAULT_BATCH_SIZE,
        now=None,
        progress=None,
    ):
        counts = (
            (gettext("customers"), customers),
            (gettext("customer users"), customer_users),
            (gettext("tickets"), tickets),
        )
        for name, value in counts:
            if value < 0:
                raise DemoDataError(gettext("The number of %(what)s cannot be negative.") % {"what": name})
        if batch_size < 1:
            raise DemoDataError(gettext("The batch size must be at least 1."))
        self.customer_count = customers
        self.customer_user_count = customer_users
        self.ticket_count = tickets
        self.seed = seed
        self.batch_size = batch_size
        self.now = now or timezone.now()
        self.progress = progress or (lambda phase, done, total=None: None)
        self.rng = random.Random()
        self.new_customer = Constructor(Customer)
        self.new_customer_user = Constructor(CustomerUser)
        self.new_ticket = Constructor(Ticket)
        self.sla_field = Ticket._meta.get_field("sla")
        self.ticket_writer = RowWriter(Ticket)

    def _rng(self, kind, index):
        self.rng.seed(_seed_for(self.seed, kind, index))
        return self.rng

    def run(self):
        started = time.monotonic()
        if (self.customer_user_count or self.ticket_count) and not self.customer_count:
            raise DemoDataError(gettext("Customer users and tickets need customers: use --customers 1 or more."))
        self.data_source = default_data_source_key()
        if not self.data_source:
            raise DemoDataError(
                gettext(
                    "There is no writable data source: demo data can only be loaded into one. "
                    "Configure a writable source (such as the database source) in OTRS_CUSTOMER_ADMIN['DATA_SOURCES']."
                )
            )
        result = DemoDataResult()
        with (
            collecting_garbage_per_batch(),
            large_sqlite_cache(Ticket),
            one_transaction(Calendar, SLA, Customer, CustomerGroup, CustomerUser, Ticket),
        ):
            calendar, counts = self.load_calendar()
            result.counts.append(counts)
            slas, counts = self.load_slas(calendar)
            result.counts.append(counts)
            customers, counts = self.load_customers(slas)
            result.counts.append(counts)
            counts = self._counts(CustomerGroup)
            customer_groups.link_missing(customers, self.batch_size, counts)
            result.counts.append(counts)
            with replaying_history():  # people joined customers that were retired later
                customer_users, counts = self.load_customer_users(customers)
            result.counts.append(counts)
            result.counts.append(self.load_tickets(customers, customer_users))
            self.load_dynamic_fields(customers, customer_users[0])
        result.seconds = time.monotonic() - started
        return result

    def _counts(self, model):
        return ModelCounts(model)

    def _report(self, counts, done, total):
        gc.collect(0)
        # With DEBUG on, Django keeps every query in a log; a bulk insert's SQL
        # is megabytes long, so the log would grow by hundreds of them.
        if settings.DEBUG:
            reset_queries()
        self.progress(counts.label, done, total)

    # -- dynamic fields -----------------------------------------------------

    def load_dynamic_fields(self, customers, user_pks):
        """The demo's dynamic fields, and values for the demo's records that have none."""
        dynamic_fields.load_definitions()
        today = timezone.localdate(self.now)
        values = {
            info.pk: dynamic_fields.customer_values(
                self._rng(_KIND_CUSTOMER_FIELDS, index), index, info.key_account, today
            )
            for index, info in enumerate(customers)
        }
        dynamic_fields.fill_missing(Customer, values, self.batch_size)
        values = {
            pk: dynamic_fields.customer_user_values(self._rng(_KIND_CUSTOMER_USER_FIELDS, index))
            for index, pk in enumerate(user_pks)
            if pk is not None
        }
        dynamic_fields.fill_missing(CustomerUser, values, self.batch_size)

    # -- SLAs ---------------------------------------------------------------

    def load_calendar(self):
        """The demo's working-hours calendar (``DEMO_CALENDAR``), created when missing."""
        counts = self._counts(Calendar)
        calendar = Calendar.objects.filter(name_key=fold(DEMO_CALENDAR["name"])).first()
        if calendar is None:
            calendar = Calendar.objects.create(**DEMO_CALENDAR)
            counts.created = 1
        else:
            counts.present = 1
        return calendar, counts

    def load_slas(self, calendar):
        counts = self._counts(SLA)
        # With their calendars: the tickets' deadlines are counted in them without a query.
        existing = {sla.name.lower(): sla for sla in SLA.objects.select_related("calendar")}
        missing = [
            SLA(
                name=name,
                first_response_time=response,
                update_time=update,
                solution_time=solution,
                comment=comment,
                calendar=calendar if SLA_CALENDARS.get(name) == calendar.name else None,
            )
            for name, response, update, solution, comment in SLAS
            if name.lower() not in existing
        ]
        counts.present = len(SLAS) - len(missing)
        if missing:
            SLA.objects.bulk_create(missing)
            counts.created = len(missing)
            if any(sla.pk is None for sla in missing):  # databases that return no ids from bulk inserts
                existing = {sla.name.lower(): sla for sla in SLA.objects.select_related("calendar")}
            else:
                existing.update((sla.name.lower(), sla) for sla in missing)
        return [existing[name.lower()] for name, *_rest in SLAS], counts

    def sla_for_customer(self, index, slas):
        roll = (index * 2654435761 + abs(self.seed) * 40503) % 100
        for limit, tier in SLA_TIER_LIMITS:
            if roll < limit:
                return slas[tier]
        return None

    # -- customers ----------------------------------------------------------

    def load_customers(self, slas):
        """Returns a list, by index, of ``_CustomerInfo`` for the demo customers, and the counts."""
        counts = self._counts(Customer)
        infos = [None] * self.customer_count
        used_names = set()
        rows = Customer.objects.values_list("customer_id", "pk", "name", "country").order_by()
        for customer_id, pk, name, country in rows.iterator(chunk_size=self.batch_size):
            used_names.add(name.lower())
            index = _index_from_key(_CUSTOMER_ID_RE, customer_id, demo_customer_id)
            if index is not None and index < self.customer_count:
                infos[index] = self._customer_info(index, pk, name, country, slas)
        counts.present = sum(info is not None for info in infos)

        batch = []
        for index in range(self.customer_count):
            if infos[index] is not None:
                continue
            batch.append(self.make_customer(index, used_names))
            if len(batch) >= self.batch_size:
                self._create_customers(batch, infos, slas, counts)
                batch = []
        self._create_customers(batch, infos, slas, counts)
        return infos, counts

    def _customer_info(self, index, pk, name, country, slas):
        country = str(country)
        return _CustomerInfo(
            pk=pk,
            country=country,
            domain=domain_for(name, german=country in GERMAN_SPEAKING),
            sla=self.sla_for_customer(index, slas),
            key_account=index < KEY_ACCOUNTS,
        )

    def _create_customers(self, batch, infos, slas, counts):
        if not batch:
            return
        Customer.objects.bulk_create(batch, batch_size=self.batch_size)
        if any(customer.pk is None for customer in batch):
            ids = {customer.customer_id: None for customer in batch}
            rows = Customer.objects.filter(customer_id__in=list(ids)).values_list("customer_id", "pk")
            pks = dict(rows)
            for customer in batch:
                customer.pk = pks[customer.customer_id]
        for customer in batch:
            index = _index_from_key(_CUSTOMER_ID_RE, customer.customer_id, demo_customer_id)
            infos[index] = self._customer_info(index, customer.pk, customer.name, customer.country, slas)
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.customer_count)

    def make_customer(self, index, used_names):
        rng = self._rng(_KIND_CUSTOMER, index)
        country = _pick_country(rng)
        city = rng.choice(country.cities)
        street = country.street(rng)
        zip_code = country.zip(rng, city)
        valid = _pick_customer_validity(rng)
        valid = FORCED_CUSTOMER_VALIDITY.get(index, valid)
        has_url = rng.random() < 0.9
        comment_roll = rng.random()
        comment_pick = rng.randrange(60)
        if valid == Validity.INVALID:
            comment = INVALID_COMMENTS[comment_pick % len(INVALID_COMMENTS)]
        elif valid == Validity.INVALID_TEMPORARILY:
            comment = PAUSED_COMMENTS[comment_pick % len(PAUSED_COMMENTS)]
        elif comment_roll < 0.3:
            comment = CUSTOMER_COMMENTS[comment_pick % len(CUSTOMER_COMMENTS)]
        else:
            comment = ""
        name = self.customer_name(rng, country, city, used_names)
        used_names.add(name.lower())
        return self.new_customer(
            customer_id=demo_customer_id(index),
            name=name,
            street=street,
            zip=zip_code,
            city=city.name,
            country=country.code,
            url=f"https://www.{domain_for(name, country.german_transliteration)}/" if has_url else "",
            comment=comment,
            valid=valid,
            data_source=self.data_source,
        )

    def customer_name(self, rng, country, city, used_names):
        """A company name, unique ignoring case among ``used_names``."""
        for attempt in range(6):
            if attempt == 0 and rng.random() < 0.07:
                pattern = rng.choice(country.public_patterns)
            else:
                pattern = rng.choice(country.patterns)
            industry = rng.choice(country.industries)
            surname, surname2 = rng.sample(country.last_names, 2)
            name = pattern.format(
                surname=surname,
                surname2=surname2,
                industry=industry,
                industry_lower=industry.lower(),
                word=rng.choice(country.words),
                city=city.name,
            )
            name = name[0].upper() + name[1:]
            if attempt >= 3 and city.name not in name:
                name = f"{name} {city.name}"  # a branch: "Müller Logistik GmbH Hamburg"
            if name.lower() not in used_names:
                return name
        base, number = name, 2
        while f"{base} {number}".lower() in used_names:
            number += 1
        return f"{base} {number}"

    # -- customer users -----------------------------------------------------

    def _person(self, rng):
        country = _pick_country(rng)
        first_name = rng.choice(country.first_names)
        last_name = rng.choice(country.last_names)
        return country, first_name, last_name

    def login_for(self, index, country, first_name, last_name):
        german = country.german_transliteration
        return f"{ascii_letters(first_name, german)}.{ascii_letters(last_name, german)}{index + 1}"

    def expected_login(self, index):
        rng = self._rng(_KIND_CUSTOMER_USER, index)
        return self.login_for(index, *self._person(rng))

    def load_customer_users(self, customers):
        """Returns two lists by index, (customer user pk, customer pk), and the counts."""
        counts = self._counts(CustomerUser)
        total = self.customer_user_count
        user_pks = [None] * total
        user_customers = [None] * total
        rows = CustomerUser.objects.values_list("login", "pk", "customer_id").order_by()
        for login, pk, customer_pk in rows.iterator(chunk_size=self.batch_size):
            match = _LOGIN_RE.match(login.lower())
            if match is None:
                continue
            index = int(match[1]) - 1
            if index < total and user_pks[index] is None and self.expected_login(index) == login.lower():
                user_pks[index] = pk
                user_customers[index] = customer_pk
        counts.present = sum(pk is not None for pk in user_pks)

        by_country = defaultdict(list)
        for info in customers:
            by_country[info.country].append(info)
        batch = []
        for index in range(total):
            if user_pks[index] is not None:
                continue
            batch.append(self.make_customer_user(index, customers, by_country))
            if len(batch) >= self.batch_size:
                self._create_customer_users(batch, user_pks, user_customers, counts)
                batch = []
        self._create_customer_users(batch, user_pks, user_customers, counts)
        return (user_pks, user_customers), counts

    def _create_customer_users(self, batch, user_pks, user_customers, counts):
        if not batch:
            return
        CustomerUser.objects.bulk_create(batch, batch_size=self.batch_size)
        if any(user.pk is None for user in batch):
            rows = CustomerUser.objects.filter(login__in=[user.login for user in batch]).values_list("login", "pk")
            pks = dict(rows)
            for user in batch:
                user.pk = pks[user.login]
        for user in batch:
            index = int(_LOGIN_RE.match(user.login)[1]) - 1
            user_pks[index] = user.pk
            user_customers[index] = user.customer_id
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.customer_user_count)

    def make_customer_user(self, index, customers, by_country):
        rng = self._rng(_KIND_CUSTOMER_USER, index)
        country, first_name, last_name = self._person(rng)
        login = self.login_for(index, country, first_name, last_name)
        title_roll = rng.random()
        valid = FORCED_CUSTOMER_USER_VALIDITY.get(index, _pick_customer_user_validity(rng))
        city = rng.choice(country.cities)
        phone = country.phone(rng, city.area)
        mobile = country.mobile(rng) if rng.random() < 0.6 else ""
        fax = country.phone(rng, city.area) if country.code in GERMAN_SPEAKING and rng.random() < 0.15 else ""
        comment = rng.choice(CUSTOMER_USER_COMMENTS) if rng.random() < 0.1 else ""
        # Last, because it depends on how many customers there are: people work for a
        # customer in their own country where there is one, the first customers employ more.
        pool = by_country.get(country.code) or customers
        customer = pool[int(len(pool) * rng.random() ** 1.5)]
        return self.new_customer_user(
            login=login,
            title="Dr." if title_roll < 0.05 else "",
            first_name=first_name,
            last_name=last_name,
            email=f"{login}@{customer.domain}",
            customer_id=customer.pk,
            phone=phone,
            fax=fax,
            mobile=mobile,
            country=country.code,
            comment=comment,
            valid=valid,
            data_source=self.data_source,
        )

    # -- tickets ------------------------------------------------------------

    def load_tickets(self, customers, customer_users):
        counts = self._counts(Ticket)
        total = self.ticket_count
        present = bytearray(total)
        numbers = Ticket.objects.filter(number__startswith=TICKET_NUMBER_PREFIX).values_list("number", flat=True)
        for number in numbers.order_by().iterator(chunk_size=self.batch_size):
            index = _index_from_key(_TICKET_NUMBER_RE, number, demo_ticket_number)
            if index is not None and index < total:
                present[index] = 1
        counts.present = sum(present)

        user_pks, user_customers = customer_users
        by_pk = {info.pk: info for info in customers}
        # Tickets come from the demo customer users, or straight from a demo customer
        # when there are none.
        senders = [(pk, by_pk.get(customer_pk)) for pk, customer_pk in zip(user_pks, user_customers, strict=True)]
        senders = [(pk, info) for pk, info in senders if info is not None] or [(None, info) for info in customers]
        key_senders = [(pk, info) for pk, info in senders if info.key_account]

        batch = []
        for index in range(total):
            if present[index]:
                continue
            batch.append(self.make_ticket(index, senders, key_senders))
            if len(batch) >= self.batch_size:
                self._create_tickets(batch, counts)
                batch = []
        self._create_tickets(batch, counts)
        if counts.created:
            # The rows went in without the queryset (see bulk.RowWriter): store the counts now.
            recount_tickets([info.pk for info in customers], user_pks)
        return counts

    def _create_tickets(self, batch, counts):
        if not batch:
            return
        now = self.now
        for ticket in batch:
            closed_at = ticket.closed_at
            pending_since = ticket.pending_since
            ticket.prepare_for_save(now)
            # prepare_for_save() stamps "now" on tickets that are pending or closed
            # from the start; demo tickets have a history, so put the real times back.
            if ticket.state in CLOSED_STATES:
                ticket.closed_at = closed_at
            if pending_since is not None and ticket.state in PENDING_STATES:
                ticket.pending_since = pending_since
        self.ticket_writer.insert(batch)
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.ticket_count)

    def make_ticket(self, index, senders, key_senders=()):
        rng = self._rng(_KIND_TICKET, index)
        now = self.now
        state = _pick_state(rng)
        if index < len(STATE_ORDER):
            state = STATE_ORDER[index]
        priority = _pick_priority(rng)
        title_index = rng.randrange(len(TICKET_TITLES))
        if state == TicketState.NEW:
            age = min(rng.expovariate(1 / (0.6 * DAY)), 14 * DAY)
        elif state == TicketState.OPEN:
            age = min(rng.expovariate(1 / (3 * DAY)), HISTORY_DAYS * DAY)
        elif state in PENDING_STATES:
            age = min(rng.expovariate(1 / (6 * DAY)), HISTORY_DAYS * DAY)
        else:
            age = rng.uniform(0, HISTORY_DAYS * DAY)
        age = max(age, 5 * MINUTE)
        created_at = now - timedelta(seconds=age)
        responded = rng.random() < 0.93
        response_after = min(rng.expovariate(1 / (3 * HOUR)), age * 0.5)
        update_share = rng.random() ** 0.5
        close_after = min(response_after + rng.expovariate(1 / (2 * DAY)), age)
        pending_offset = rng.uniform(-3 * DAY, 10 * DAY)

        first_response_at = last_update_at = closed_at = pending_until = pending_since = None
        if state != TicketState.NEW and responded:
            first_response_at = created_at + timedelta(seconds=response_after)
            last_update_at = first_response_at
        if state in CLOSED_STATES:
            closed_at = last_update_at = created_at + timedelta(seconds=close_after)
        elif state in (TicketState.MERGED, TicketState.REMOVED):
            pass
        elif first_response_at is not None:
            last_update_at = created_at + timedelta(seconds=response_after + (age - response_after) * update_share)
        if state in PENDING_STATES:
            # Pending reminders are spread from three days ago to ten days ahead (so some are
            # due); pending auto closes mostly lie ahead.
            if state != TicketState.PENDING_REMINDER:
                pending_offset = pending_offset * 0.6 + 2 * DAY
            set_pending_at = last_update_at or created_at
            pending_until = max(now + timedelta(seconds=pending_offset), set_pending_at + timedelta(hours=1))
            pending_since = set_pending_at

        # A few key accounts send a share of all tickets (10,000 and more each at a million
        # tickets); the rest is spread thinly, earlier customer users sending more.
        if key_senders and rng.random() < KEY_ACCOUNT_SHARE:
            user_pk, customer = key_senders[int(len(key_senders) * rng.random())]
        else:
            user_pk, customer = senders[int(len(senders) * rng.random() ** 1.3)]
        english, german = TICKET_TITLES[title_index]
        ticket = self.new_ticket(
            number=demo_ticket_number(index),
            title=german if customer.country in GERMAN_SPEAKING else english,
            customer_id=customer.pk,
            customer_user_id=user_pk,
            state=state,
            priority=priority,
            sla_id=customer.sla.pk if customer.sla else None,
            pending_until=pending_until,
            pending_since=pending_since,
            created_at=created_at,
            first_response_at=first_response_at,
            last_update_at=last_update_at,
            closed_at=closed_at,
        )
        # The SLA object itself, so that prepare_for_save() reads its targets without a query.
        self.sla_field.set_cached_value(ticket, customer.sla)
        return ticket


def load_demo_data(**options):
    """Create the missing demo records; returns a ``DemoDataResult``. See ``DemoDataGenerator``."""
    return DemoDataGenerator(**options).run()
