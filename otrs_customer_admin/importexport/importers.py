"""The imports of customers, customer users and SLAs, on the engine of ``engine.RecordImport``.

Each names its model, key and column aliases, and adds what only it needs: customers derive
a CustomerID from the name (Zammad's organizations have none); customer users resolve their
customer and additional customers and take a default customer. New records of both take the
import's default country when their row has none. SLAs name their calendar by its name, and
their open tickets get new deadlines when their targets or calendar change.
"""

import hashlib
import re
from functools import cached_property

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..conf import settings
from ..exceptions import AddressTaken
from ..folding import fold
from ..models import SLA, Calendar, Customer, CustomerUser, Validity
from ..models.customer_groups import format_group_links, gives_rw, parse_group_links
from ..models.customer_user import OWN_PRIMARY_MESSAGE
from ..models.dynamic_field_types import LIST_SEPARATORS
from ..models.ticket import tickets_to_recompute
from ..models.visibility import RW, group_support
from ..values import parse_minutes
from ..writes import (
    address_holders,
    address_order,
    folded_lookup,
    load_addresses,
    load_group_links,
    refuse_taken_addresses,
    replace_addresses,
    replace_group_links,
    split_addresses,
)
from . import columns
from .engine import RecordImport, Rejected
from .formats import FileProblem


def web_address(text):
    """A URL as typed: a bare domain (Zammad's ``domain``) gets https://."""
    return text if "://" in text or ":" in text.split("/")[0] else f"https://{text}"


def derived_customer_id(name):
    """A stable CustomerID for a name: its allowed characters, dashes for the rest, and a hash
    suffix when anything was dropped (so "Acme & Co" and "Acme + Co" stay apart)."""
    kept = re.sub(r"[^\w.@+-]+", "-", name, flags=re.UNICODE).strip("-") or "customer"
    if kept == name and len(kept) <= 150:
        return kept
    digest = hashlib.sha1(fold(name).encode()).hexdigest()[:8]
    return f"{kept[:140]}-{digest}"


def group_links(text):
    """A ``groups`` cell as ``{group name: permission}`` (``parse_group_links``); ``ValueError`` says why not."""
    try:
        return parse_group_links(text)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None


def always_group_names():
    """The names of ``CUSTOMER_GROUP_ALWAYS``: linked ``rw`` to every new customer, and kept by an import."""
    return set(settings.CUSTOMER_GROUP_ALWAYS) if group_support() else set()


def fill_default_country(row, country):
    """A new record whose row has no country gets the import's default country (if it has one)."""
    if "country" not in row.values and country:
        row.values["country"] = country


class CustomerImport(RecordImport):
    model = Customer
    key_field = "customer_id"
    aliases = columns.CUSTOMER_ALIASES
    required_for_new = ("name", "country")
    data_fields = Customer.RECORD_FIELDS
    parsers = {**RecordImport.parsers, "url": web_address, "domain": web_address}
    taken_messages = {"name": gettext_lazy("another customer is already called %(value)s.")}
    # With CUSTOMER_GROUP_SUPPORT the group links are a column too (see __init__).
    GROUPS = "groups"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if group_support():
            self.aliases = {**self.aliases, **columns.CUSTOMER_GROUP_ALIASES}
            self.data_fields = (*self.data_fields, self.GROUPS)
            self.relation_fields = (self.GROUPS,)
            self.parsers = {**self.parsers, self.GROUPS: group_links}
        self.always = always_group_names()
        self.gives_rw = {}  # frozenset of rw group names -> gives_rw(user, them), asked once each

    def label(self, field_name):
        if field_name == self.GROUPS:
            return _("Groups")
        return super().label(field_name)

    def check_columns(self, present):
        # Zammad's organizations have no CustomerID: it is then derived from the name.
        if not present & {"customer_id", "name"}:
            self.report.problems.append(
                FileProblem(
                    _("The file needs a CustomerID or a name column (%(columns)s).")
                    % {"columns": "CustomerID, CustomerCompanyName, name"},
                    line=1,
                )
            )

    def read(self, records):
        rows = super().read(records)
        for row in rows:
            domain = row.values.pop("domain", None)
            if domain:
                row.values.setdefault("url", domain)
        return rows

    def match(self, rows):
        # Rows without a CustomerID are matched by name, else given one derived from it.
        unkeyed = [row for row in rows if "customer_id" not in row.values and "name" in row.values]
        names = {fold(row.values["name"]) for row in unkeyed}
        by_name = folded_lookup(Customer.objects, "name", names, ["customer_id"])
        for row in unkeyed:
            known = by_name.get(fold(row.values["name"]))
            row.values["customer_id"] = known["customer_id"] if known else derived_customer_id(row.values["name"])
        self.resolve_groups(rows)
        super().match(rows)
        self.rights = self.customer_rights(row.existing["pk"] for row in rows if row.existing)

    def resolve_groups(self, rows):
        """Refuse the group names of a ``groups`` cell that name no group: an import creates none."""
        wanted = {name for row in rows for name in row.values.get(self.GROUPS, ())}
        known = set(Group.objects.filter(name__in=wanted).values_list("name", flat=True)) if wanted else set()
        for row in rows:
            unknown = sorted(set(row.values.get(self.GROUPS, ())) - known)
            if unknown:
                row.failed.add(self.GROUPS)
                del row.values[self.GROUPS]
                message = ngettext("no group named %(names)s.", "no groups named %(names)s.", len(unknown))
                self.problem(row.line, self.GROUPS, message % {"names": ", ".join(f"“{name}”" for name in unknown)})

    def load_relations(self, rows):
        """Each existing customer's group links, as ``load_group_links`` reads them."""
        existing = [row.existing for row in rows if row.existing is not None]
        links = load_group_links([record["pk"] for record in existing])
        for record in existing:
            record[self.GROUPS] = links[record["pk"]]

    def write_relations(self, new_rows, new, changed):
        """The group links of the new customers, and of the existing ones whose links are still those read."""
        replace_group_links(
            {
                obj.pk: row.changes[self.GROUPS]
                for row, obj in zip(new_rows, new, strict=True)
                if self.GROUPS in row.changes
            }
        )
        replace_group_links(
            {row.existing["pk"]: row.changes[self.GROUPS] for row in changed if self.GROUPS in row.changes},
            read={row.existing["pk"]: row.existing[self.GROUPS] for row in changed if self.GROUPS in row.changes},
        )

    def history_values(self, row, existing):
        values = super().history_values(row, existing)
        if self.GROUPS in values:  # read as pairs, written as a mapping: the history stores both alike
            old, new = values[self.GROUPS]
            values[self.GROUPS] = (dict(old) if old is not None else None, dict(new))
        return values

    def stamps_record(self, name):
        # Group links are rows of their own, not the customer's (a directory customer takes them too).
        return name != self.GROUPS and super().stamps_record(name)

    def editable_on_directory(self, source, changes):
        """A directory's customer takes group links unless its source maps ``groups`` (its sync sets them)."""
        if self.GROUPS in changes and self.GROUPS in source.attr_map("customer"):
            return False
        others = {name: value for name, value in changes.items() if name != self.GROUPS}
        return not others or super().editable_on_directory(source, others)

    def plan_update(self, row):
        if self.GROUPS in row.values:
            # Exactly the listed links, but the CUSTOMER_GROUP_ALWAYS ones stay as they are.
            links = dict(row.values[self.GROUPS])
            links.update((name, permission) for name, permission in row.existing[self.GROUPS] if name in self.always)
            row.values[self.GROUPS] = tuple(sorted(links.items()))
        super().plan_update(row)
        rights = self.rights.get(row.existing["pk"])
        if rights is None or (row.changes and rights != RW):
            message = _("you may not change the customer %(value)s: none of your groups may change it.")
            self.problem(row.line, self.key_field, message % {"value": row.existing[self.key_field]})

    def plan_create(self, row):
        fill_default_country(row, self.default_country)
        listed = dict(row.values.get(self.GROUPS, ()))
        if self.GROUPS in row.values:
            # A new customer gets the CUSTOMER_GROUP_ALWAYS groups read and write, whatever the row says.
            row.values[self.GROUPS] = tuple(sorted({**listed, **dict.fromkeys(self.always, RW)}.items()))
        super().plan_create(row)
        given = frozenset(name for name, permission in listed.items() if permission == RW)
        if given not in self.gives_rw:
            self.gives_rw[given] = gives_rw(self.user, given)
        if not self.gives_rw[given] and self.GROUPS not in row.failed:  # a cell that failed is reported already
            message = _(
                "you could not change this new customer: link it read and write to one of your groups (for "
                "example “%(example)s”)."
            )
            example = format_group_links({self.example_group: RW}) if self.example_group else "support:rw"
            self.problem(row.line, self.GROUPS, message % {"example": example})

    @cached_property
    def example_group(self):
        group = self.user.groups.order_by("name").first() if self.user is not None else None
        return group.name if group else ""

    def missing_message(self, name):
        if name == "country":
            return _(
                "a new customer needs a country: add a country column, or choose a default country "
                "(--default-country, the import form's default country, or the DEFAULT_COUNTRY setting)."
            )
        return super().missing_message(name)


# What a customer-user import reads of the customers a file names.
NAMED_CUSTOMER = ["pk", "customer_id", "name", "valid"]


def customer_label(customer):
    """A customer read as ``NAMED_CUSTOMER``, named as everywhere: "Acme Old (ACME-OLD)"."""
    return str(Customer(customer_id=customer["customer_id"], name=customer["name"]))


# Between the customers of one cell of additional customers (LIST_SEPARATORS, as between a
# multiselect's keys); Zammad's organizations use ~~~ only, since its organization names may
# contain the others.
ZAMMAD_LIST_SEPARATOR = "~~~"
# A person's additional email addresses: a column of their own, separated as additional customers.
ADDRESSES = "additional_emails"


def addresses_cell(text):
    """A cell of additional addresses -> the addresses, sorted as ``load_addresses`` reads them."""
    return tuple(sorted(split_addresses(text), key=address_order))


class CustomerUserImport(RecordImport):
    model = CustomerUser
    key_field = "login"
    aliases = columns.CUSTOMER_USER_ALIASES
    required_for_new = ("login", "first_name", "last_name", "email", "customer")
    data_fields = (*CustomerUser.RECORD_FIELDS, "additional_customers", ADDRESSES)
    relation_fields = ("additional_customers", ADDRESSES)
    parsers = {**RecordImport.parsers, ADDRESSES: addresses_cell}
    taken_messages = {"email": gettext_lazy("another valid customer user has the address %(value)s.")}

    def label(self, field_name):
        if field_name == ADDRESSES:
            return _("Additional email addresses")
        return super().label(field_name)

    # --- additional email addresses ---

    def load_relations(self, rows):
        """And each existing person's additional addresses (the rule checks them when the primary
        address or the validity changes, the column or not)."""
        super().load_relations(rows)
        existing = [row.existing for row in rows if row.existing is not None]
        addresses = load_addresses([record["pk"] for record in existing])
        for record in existing:
            record[ADDRESSES] = addresses[record["pk"]]

    def plan(self, rows):
        super().plan(rows)
        if not self.writing:  # the write checks the rule again, under its lock (write_relations)
            self.check_addresses(rows)

    def check_addresses(self, rows):
        """Among valid people an address is used once, ignoring case, as a primary or an additional
        address: across the file (this chunk and those before) and the database. Two primary
        addresses are ``check_unique``'s (the database's constraint); this checks the rest."""
        first_line = self.first_lines["addresses"]  # folded address -> (line, field)
        checked = []
        for row in rows:
            if not {"email", ADDRESSES, "valid"} & row.changes.keys():
                continue
            values = {**(row.existing or {}), **row.changes}
            if values.get("valid") != Validity.VALID:
                continue
            primary = values.get("email") or ""
            own = [address for address in values.get(ADDRESSES, ()) if fold(address) == fold(primary)]
            if own:
                self.problem(row.line, ADDRESSES, OWN_PRIMARY_MESSAGE % {"value": own[0]})
                continue
            addresses = [("email", primary)] if primary else []
            checked.append((row, addresses + [(ADDRESSES, address) for address in values.get(ADDRESSES, ())]))
        keys = {fold(address) for _row, addresses in checked for _name, address in addresses}
        as_primary = address_holders(keys, additional=False)
        as_additional = address_holders(keys, primary=False)
        for row, addresses in checked:
            own = row.existing["pk"] if row.existing else None
            for name, address in addresses:
                key = fold(address)
                seen = first_line.get(key)
                if any(pk != own for pk in as_additional.get(key, ())) or (
                    name == ADDRESSES and any(pk != own for pk in as_primary.get(key, ()))
                ):
                    self.problem(row.line, name, self.taken_messages["email"] % {"value": address})
                elif seen is not None and (name, seen[1]) != ("email", "email"):
                    message = _("%(value)s appears again (first on line %(line)s).")
                    self.problem(row.line, name, message % {"value": address, "line": seen[0]})
                first_line.setdefault(key, (row.line, name))

    def write_relations(self, new_rows, new, changed):
        """And the additional addresses the rows set, exactly, an existing person's where they are still
        those the import read; then the rule, under its lock, for everyone whose addresses or validity changed."""
        super().write_relations(new_rows, new, changed)
        created = {
            obj.pk: row.changes[ADDRESSES] for row, obj in zip(new_rows, new, strict=True) if ADDRESSES in row.changes
        }
        updated = [row for row in changed if ADDRESSES in row.changes]
        others = [obj.pk for obj in new if obj.pk not in created]
        others += [row.existing["pk"] for row in changed if {"email", "valid"} & row.changes.keys()]
        try:
            replace_addresses(created)
            replace_addresses(
                {row.existing["pk"]: row.changes[ADDRESSES] for row in updated},
                read={row.existing["pk"]: row.existing[ADDRESSES] for row in updated},
            )
            refuse_taken_addresses(others)
        except AddressTaken as taken:
            message = _(
                "Nothing was imported: while this file was being imported, another import or user gave the address "
                "%(value)s to another valid customer user. Import the file again: the rows concerned will then be "
                "listed."
            )
            self.report.problems.append(FileProblem(message % {"value": taken.conflicts[0].address}))
            raise Rejected from None

    def prepare(self):
        # Customers the file names that are not valid: pk -> "name (CustomerID)". New people,
        # people moved to another customer and new links to additional customers need valid ones.
        self.not_valid_customers = {}
        if self.default_customer:
            found = folded_lookup(self.customers, "customer_id", {fold(self.default_customer)}, NAMED_CUSTOMER)
            if not found:
                message = _("Default customer: no customer with the CustomerID %(value)s.")
                self.report.problems.append(FileProblem(message % {"value": self.default_customer}))
                return False
            customer = next(iter(found.values()))
            if customer["valid"] != Validity.VALID:
                message = _("Default customer: the customer %(value)s is not valid; choose a valid customer.")
                self.report.problems.append(FileProblem(message % {"value": customer_label(customer)}))
                return False
            self.default_customer = customer["pk"]
        return super().prepare()

    def note_validity(self, customer):
        if customer["valid"] != Validity.VALID:
            self.not_valid_customers[customer["pk"]] = customer_label(customer)

    def attname(self, name):
        return "customer_id" if name == "customer" else name

    @cached_property
    def customers(self):
        """The customers a file may name: those the importing user sees (a hidden one reads as unknown)."""
        return Customer.objects.visible_to(self.user)

    def match(self, rows):
        self.resolve_customers(rows)
        self.resolve_additional_customers(rows)
        super().match(rows)
        named = {self.default_customer or None}  # a new person without a customer column goes there
        for row in rows:
            named.update(row.values.get("additional_customers", ()))
            named.add(row.values.get("customer"))
            if row.existing is not None:
                named.update((row.existing["customer"], *row.existing["additional_customers"]))
        self.rights = self.customer_rights(named)

    def keep_hidden_links(self, row):
        """A person's additional customers the importing user cannot see stay: the file cannot name them."""
        listed = row.values.get("additional_customers")
        if listed is not None:
            hidden = {pk for pk in row.existing["additional_customers"] if self.rights.get(pk) is None}
            row.values["additional_customers"] = set(listed) | hidden

    def refuse_unchangeable_customers(self, row, before, linked):
        """The importing user must be able to change the person's customer before and after, and every
        additional customer the row links or unlinks."""
        if before is not None and self.rights.get(before) != RW and (row.changes or self.rights.get(before) is None):
            message = _(
                "you may not change the customer user %(value)s: none of your groups may change their customer."
            )
            self.problem(row.line, self.key_field, message % {"value": row.existing[self.key_field]})
            return
        customer = row.changes.get("customer")
        if customer is not None and self.rights.get(customer) != RW:
            message = _("you may not add customer users to the customer %(value)s: none of your groups may change it.")
            self.problem(row.line, "customer", message % {"value": self.labels([customer])})
        if "additional_customers" in row.changes:
            moved = set(row.changes["additional_customers"]) ^ set(linked)
            refused = [pk for pk in moved if self.rights.get(pk) != RW]
            if refused:
                message = ngettext(
                    "you may not link or unlink the additional customer %(values)s: none of your groups may change it.",
                    "you may not link or unlink the additional customers %(values)s: none of your groups may change "
                    "them.",
                    len(refused),
                )
                self.problem(row.line, "additional_customers", message % {"values": self.labels(refused)})

    @staticmethod
    def labels(pks):
        """The customers ``pks`` as "name (CustomerID)", sorted and joined (only for a problem: a query)."""
        customers = Customer.objects.filter(pk__in=pks).values(*NAMED_CUSTOMER)
        return ", ".join(sorted(customer_label(customer) for customer in customers))

    def resolve_customers(self, rows):
        """CustomerID (or Zammad's organization name) -> the customer's primary key."""
        for name, lookup_field in (("customer", "customer_id"), ("organization", "name")):
            wanted = {fold(row.values[name]) for row in rows if name in row.values}
            found = folded_lookup(self.customers, lookup_field, wanted, NAMED_CUSTOMER)
            for row in rows:
                text = row.values.pop(name, None)
                if text is None:
                    continue
                customer = found.get(fold(text))
                if customer is None:
                    row.failed.add("customer")
                    message = (
                        _("no customer with the CustomerID %(value)s.")
                        if name == "customer"
                        else _("no customer called %(value)s.")
                    )
                    self.problem(row.line, name, message % {"value": text})
                elif "customer" not in row.values:
                    row.values["customer"] = customer["pk"]
                    self.note_validity(customer)

    def resolve_additional_customers(self, rows):
        """A cell of CustomerIDs or names -> the sorted primary keys of those customers."""
        name = "additional_customers"
        zammad = columns.normalise(self.header_of.get(name, "")) == "organizations"
        cells = {}
        for row in rows:
            text = row.values.get(name)
            if text is not None:
                parts = text.split(ZAMMAD_LIST_SEPARATOR) if zammad else LIST_SEPARATORS.split(text)
                cells[row.line] = [part.strip() for part in parts if part.strip()]
        wanted = {fold(part) for parts in cells.values() for part in parts}
        by_id = folded_lookup(self.customers, "customer_id", wanted, NAMED_CUSTOMER)
        by_name = folded_lookup(self.customers, "name", wanted - by_id.keys(), NAMED_CUSTOMER)
        for row in rows:
            if row.line not in cells:
                continue
            pks, unknown = set(), []
            for part in cells[row.line]:
                customer = by_id.get(fold(part)) or by_name.get(fold(part))
                if customer is None:
                    unknown.append(part)
                else:
                    pks.add(customer["pk"])
                    self.note_validity(customer)
            if unknown:
                row.failed.add(name)
                del row.values[name]
                message = ngettext(
                    "no customer with the CustomerID or name %(values)s.",
                    "no customers with the CustomerIDs or names %(values)s.",
                    len(unknown),
                )
                self.problem(row.line, name, message % {"values": ", ".join(unknown)})
            else:
                row.values[name] = pks

    def plan_update(self, row):
        self.keep_hidden_links(row)
        self.drop_own_customer(row, row.values.get("customer", row.existing["customer"]))
        super().plan_update(row)
        self.refuse_not_valid_customers(row, row.existing.get("additional_customers", ()))
        self.refuse_unchangeable_customers(row, row.existing["customer"], row.existing["additional_customers"])

    def plan_create(self, row):
        fill_default_country(row, self.default_country)
        if "customer" not in row.values and "customer" not in row.failed and self.default_customer:
            row.values["customer"] = self.default_customer
        self.drop_own_customer(row, row.values.get("customer"))
        super().plan_create(row)
        self.refuse_not_valid_customers(row, ())
        self.refuse_unchangeable_customers(row, None, ())

    def refuse_not_valid_customers(self, row, linked):
        """A person who is new or moves to another customer needs a valid one, and so does a new
        link to an additional customer; links to customers that became invalid since stay."""
        customer = row.changes.get("customer")
        if customer in self.not_valid_customers:
            message = _("the customer %(value)s is not valid; name a valid customer.")
            self.problem(row.line, "customer", message % {"value": self.not_valid_customers[customer]})
        added = set(row.changes.get("additional_customers", ())) - set(linked)
        named = sorted(self.not_valid_customers[pk] for pk in added if pk in self.not_valid_customers)
        if named:
            message = ngettext(
                "the additional customer %(values)s is not valid; name only valid customers.",
                "the additional customers %(values)s are not valid; name only valid customers.",
                len(named),
            )
            self.problem(row.line, "additional_customers", message % {"values": ", ".join(named)})

    def after_write(self, rows):
        """The customers the rows newly point to were valid when read; refuse if one was set invalid
        since (a merge retired it): a person must not move to a retired customer."""
        pointed = set()
        for row in rows:
            pointed.update(row.changes.get("additional_customers", ()))
            if "customer" in row.changes:
                pointed.add(row.changes["customer"])
        if not pointed:
            return
        retired = Customer.objects.filter(pk__in=pointed).exclude(valid=Validity.VALID).values(*NAMED_CUSTOMER)
        if retired:
            self.refuse_moved([customer_label(customer) for customer in retired])

    @staticmethod
    def drop_own_customer(row, customer_pk):
        # The person's own customer is not one of their additional ones (files often list it).
        additional = row.values.get("additional_customers")
        if additional is not None:
            row.values["additional_customers"] = tuple(sorted(additional - {customer_pk}))

    def missing_message(self, name):
        if name == "customer":
            return _(
                "a new customer user needs a customer: add a customer column (UserCustomerID, customer or "
                "organization), or choose a default customer (--default-customer CUSTOMER_ID, or the import "
                "form's default customer)."
            )
        return super().missing_message(name)


class SLAImport(RecordImport):
    """SLAs by name, ignoring case; the calendar by its name, ignoring case (an empty cell leaves
    an SLA's calendar as it is; a new SLA without one counts around the clock)."""

    model = SLA
    key_field = "name"
    aliases = columns.SLA_ALIASES
    required_for_new = ("name",)
    data_fields = SLA.RECORD_FIELDS
    parsers = {**RecordImport.parsers, **dict.fromkeys(SLA.TARGET_FIELDS, parse_minutes)}

    def attname(self, name):
        return "calendar_id" if name == "calendar" else name

    def match(self, rows):
        self.resolve_calendars(rows)
        super().match(rows)

    def resolve_calendars(self, rows):
        """A calendar's name -> its primary key; the calendars that are not valid noted by name."""
        self.not_valid_calendars = {}
        wanted = {fold(row.values["calendar"]) for row in rows if "calendar" in row.values}
        found = folded_lookup(Calendar.objects, "name", wanted, ["pk", "name", "valid"])
        for row in rows:
            text = row.values.get("calendar")
            if text is None:
                continue
            calendar = found.get(fold(text))
            if calendar is None:
                row.failed.add("calendar")
                del row.values["calendar"]
                self.problem(row.line, "calendar", _("no calendar called %(value)s.") % {"value": text})
                continue
            row.values["calendar"] = calendar["pk"]
            if calendar["valid"] != Validity.VALID:
                self.not_valid_calendars[calendar["pk"]] = calendar["name"]

    def plan_update(self, row):
        super().plan_update(row)
        self.refuse_not_valid_calendar(row)

    def plan_create(self, row):
        super().plan_create(row)
        self.refuse_not_valid_calendar(row)

    def refuse_not_valid_calendar(self, row):
        """An SLA may be given only a valid calendar; one that keeps its calendar keeps it, valid or not."""
        calendar = row.changes.get("calendar")
        if calendar in self.not_valid_calendars:
            message = _("the calendar %(value)s is not valid; name a valid calendar.")
            self.problem(row.line, "calendar", message % {"value": self.not_valid_calendars[calendar]})

    def after_write(self, rows):
        """Refuse a calendar set invalid since the check; then the open tickets of the SLAs whose
        targets or calendar changed get their deadlines anew, in bulk, in the import's transaction."""
        given = {row.changes["calendar"] for row in rows if "calendar" in row.changes}
        if given:
            retired = Calendar.objects.filter(pk__in=given).exclude(valid=Validity.VALID).values_list("name", flat=True)
            if retired:
                self.refuse_moved(list(retired))
        moving = set(SLA.DEADLINE_FIELDS)
        changed = [row.existing["pk"] for row in rows if row.existing and moving & row.changes.keys()]
        if changed:
            tickets_to_recompute(sla=changed).recompute_escalations()


#: The import of each model that has one.
IMPORTERS = {Customer: CustomerImport, CustomerUser: CustomerUserImport, SLA: SLAImport}
