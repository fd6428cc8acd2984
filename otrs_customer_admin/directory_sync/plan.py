"""What one sync changes, worked out before anything is written, and then written.

``Plan`` matches a complete read of a directory to the source's records: by the entry's
UUID first, then by its key (CustomerID, login) for records whose entry came back with a
new UUID. It checks every entry's values as the model would, keeps the unique values
(keys, customer names, valid users' emails) free of clashes with other records, and
lists the changes. ``Plan.write`` applies them in one transaction, in an order the
database's unique constraints accept.
"""

from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..bidi import Phrase
from ..conf import settings
from ..datasources import MassInvalidation, ModelFields, SyncError
from ..exceptions import AddressTaken
from ..folding import fold
from ..history import Change as HistoryChange
from ..history import record_history
from ..models import Customer, CustomerUser, CustomerUserEmail, Validity
from ..models.customer import GROUPS_MAP_KEY
from ..models.customer_groups import parse_group_links
from ..models.customer_user import address_order
from ..models.dynamic_field_types import FieldType, clean_value, is_empty
from ..models.dynamic_fields import field_definition, prefixed, unprefixed
from ..models.visibility import RW, group_support
from ..values import parse_country, parse_validity
from ..writes import (
    WRITE_BATCH,
    RowsMoved,
    before_write,
    defaults_of,
    load_addresses,
    load_group_links,
    load_links,
    load_values,
    meets,
    refuse_taken_addresses,
    replace_addresses,
    replace_group_links,
    replace_links,
    replace_values,
    unique_rules,
    update_rows,
)
from ..writes import field_label as kernel_field_label

MODEL_KEYS = ("customers", "customer_users")
VALID = Validity.VALID
LINKS = "additional_customers"
# A customer user's additional email addresses: the values of the email attribute after the first.
ADDRESSES = "additional_emails"
# A customer's group links (CUSTOMER_GROUP_SUPPORT): a map key of customers, its attribute's values
# group names with :ro or :rw.
GROUPS = GROUPS_MAP_KEY
# A record row's stored values of the dynamic fields the source maps (name -> typed value).
DYNAMIC = "dynamic_fields"
# A CustomerID or name a record gives up in this sync is parked on this placeholder
# (with its pk) first, so that another record may take it in the same transaction.
PARKED = "~sync-{pk}"
# The records a refusal names.
MOVED_NAMED = 10


def link_key(customer):
    """A customer's pk, or the identity of a Customer this sync creates (it has no pk yet)."""
    return customer if isinstance(customer, int) else id(customer)


def model_of(model_key):
    return Customer if model_key in ("customer", "customers") else CustomerUser


def object_type_of(model_key):
    return "customer" if model_key in ("customer", "customers") else "customer_user"


def field_label(model, name):
    if model._meta.model_name == "customer" and name == "name":
        return _("Name")  # the field's verbose name is "customer", as in OTRS's forms
    if name == "external_dn":
        return _("directory DN")
    if name == "external_id":
        return _("external ID")
    if name == GROUPS:
        return _("Groups")
    if name == ADDRESSES:
        return _("Additional email addresses")
    if name == "customer_id" and model._meta.model_name == "customeruser":
        name = "customer"
    return kernel_field_label(model, name)


def model_fields():
    """What a source may map for each model, and what every record needs (its unique fields):
    the field lists a source's ``check_options`` checks its maps against."""
    return {
        "customer": ModelFields(names=(*Customer.RECORD_FIELDS, GROUPS), required=Customer.FOLDED_FIELDS),
        "customer_user": ModelFields(names=CustomerUser.RECORD_FIELDS, required=CustomerUser.FOLDED_FIELDS),
    }


def default_country_of(source):
    """The source's DEFAULT_COUNTRY, else the package's, as an ISO code."""
    return parse_country(source.option("DEFAULT_COUNTRY") or settings.DEFAULT_COUNTRY)


def clean_values(model_key, values, default_country=""):
    """``values`` (field -> text) checked and parsed as the model would: ``(cleaned, problems)``."""
    model = model_of(model_key)
    is_customer = model_key in ("customer", "customers")
    cleaned, problems = {}, []
    for name in model.FOLDED_FIELDS:  # what identifies a record: its unique fields
        if not values.get(name):
            problems.append(_("%(field)s is missing") % {"field": field_label(model, name)})
    for name, text in values.items():
        if name == "customer":
            continue  # a reference, resolved by the plan
        if name == GROUPS:
            cleaned[name] = text  # group names, resolved by the plan
            continue
        label = field_label(model, name)
        try:
            if "\x00" in text:
                raise ValidationError(_("Null characters are not allowed."))
            if name == "country":
                cleaned[name] = parse_country(text)
            elif name == "valid":
                cleaned[name] = parse_validity(text)
            else:
                model._meta.get_field(name).run_validators(text)
                cleaned[name] = text
        except ValidationError as error:
            problems.append(f"{label}: {' '.join(error.messages)} ({text!r})")
        except ValueError as error:
            problems.append(f"{label}: {error}")
    if not values.get("country"):
        cleaned["country"] = default_country
        if is_customer and not default_country:
            problems.append(_("it has no country, and the source has no DEFAULT_COUNTRY"))
    return cleaned, problems


def dynamic_mapping(source, model_key):
    """The dynamic fields ``source`` maps for ``model_key``: ``({map key: (definition, attribute)},
    problems)``, a problem for each ``DynamicField_<Name>`` key that names no valid definition of
    the model's object type (its attribute is not synced, and the values stored stay as they are)."""
    object_type = object_type_of(model_key)
    setting = "CUSTOMER_ATTR_MAP" if object_type == "customer" else "CUSTOMER_USER_ATTR_MAP"
    records = _("customers") if object_type == "customer" else _("customer users")
    mapped, problems = {}, []
    for key, attribute in source.attr_map(object_type).items():
        name = unprefixed(key)
        if name is None:
            continue
        definition = field_definition(object_type, name)
        if definition is None:
            problems.append(
                _(
                    "%(setting)s maps %(key)s, but %(records)s have no valid dynamic field %(name)s: "
                    "its attribute %(attribute)s is not synced."
                )
                % {"setting": setting, "key": key, "records": records, "name": name, "attribute": attribute}
            )
        else:
            mapped[key] = (definition, attribute)
    return mapped, problems


def clean_dynamic(mapped, texts_of):
    """An entry's dynamic field values (map key -> its attribute's texts) checked and typed as the
    definitions say: ``(name -> typed value, problems)``. A missing attribute is an empty value; only
    a multiselect takes several values."""
    cleaned, problems = {}, []
    for key, (definition, attribute) in mapped.items():
        texts = texts_of.get(key, [])
        label = f"{definition.label or definition.name} ({attribute})"
        if len(texts) > 1 and definition.field_type != FieldType.MULTISELECT:
            problems.append(
                _("%(field)s: %(count)d values, but the field holds one (%(values)s)")
                % {"field": label, "count": len(texts), "values": "; ".join(texts)}
            )
            continue
        value = texts if len(texts) > 1 else (texts[0] if texts else "")
        try:
            cleaned[definition.name] = clean_value(definition, value)
        except ValidationError as error:
            shown = "; ".join(texts)
            problems.append(f"{label}: {' '.join(error.messages)} ({shown!r})")
    return cleaned, problems


def entry_problems(model_key, values, default_country="", mapped=None, dynamic=None):
    """Why the sync would skip an entry with these values and dynamic field texts (Test connection)."""
    problems = clean_values(model_key, values, default_country)[1]
    return problems + clean_dynamic(mapped or {}, dynamic or {})[1]


def unique_values(name, values):
    """The values of unique field ``name`` a record or entry has: an email field's are its primary and
    its additional addresses (an address is one valid person's, as either)."""
    if not values.get(name):
        return []
    return [values[name], *values.get(ADDRESSES, ())] if name == "email" else [values[name]]


def additional_addresses(entry):
    """An entry's additional addresses, sorted as ``load_addresses`` reads them, each once and not its
    primary one; or why not (an address that is none)."""
    primary = fold(entry.values.get("email", ""))
    addresses = {}
    for address in entry.additional_emails:
        try:
            validate_email(address)
        except ValidationError as error:
            return (), f"{field_label(CustomerUser, 'email')}: {' '.join(error.messages)} ({address!r})"
        if fold(address) != primary:
            addresses.setdefault(fold(address), address)
    return tuple(sorted(addresses.values(), key=address_order)), ""


def resulting_validity(row, wanted):
    """The validity a record ends with: what the directory says, unless it was invalidated by hand."""
    if row is not None and row["valid"] != VALID and not row["invalidated_by_sync"]:
        return row["valid"]
    return wanted


def history_values(model_key, new, old, *, links, groups, dynamic, addresses=(None, None)):
    """Field name -> ``(old, new)`` of a change, for the history: a customer user's customer as
    ``customer`` (a pk, or the Customer the sync creates), group links as mappings, dynamic fields
    by their ``DynamicField_<Name>``; what only the sync reads (``invalidated_by_sync``) left out."""
    values = {}
    for name, value in new.items():
        if name != "invalidated_by_sync":
            key = "customer" if name == "customer_id" and model_key == "customer_users" else name
            values[key] = (old.get(name), value)
    if links[1] is not None:
        values[LINKS] = links
    if groups[1] is not None:
        values[GROUPS] = (dict(groups[0]) if groups[0] is not None else None, dict(groups[1]))
    if addresses[1] is not None:
        values[ADDRESSES] = addresses
    values.update((prefixed(name), pair) for name, pair in dynamic.items())
    return values


@dataclass
class Change:
    """One record the sync writes."""

    model_key: str
    word: str  # created, updated, invalidated or reactivated
    dn: str
    values: dict  # the new value of every changed field
    pk: object = None
    old: dict = field(default_factory=dict)  # the value the plan read of every changed field
    changed: list = field(default_factory=list)  # field names, for the history
    why: str = ""
    obj: object = None  # the new instance, for created records
    # A customer user's additional customers after the sync (pks, or Customers this sync
    # creates); None when they stay as they are.
    links: tuple = None
    # A customer's group links after the sync, sorted (group name, permission) pairs; None when they stay.
    groups: tuple = None
    # A customer user's additional email addresses after the sync, sorted; None when they stay.
    addresses: tuple = None
    # The dynamic fields that change (name -> new value), and their values as the plan read them.
    dynamic: dict = field(default_factory=dict)
    dynamic_old: dict = field(default_factory=dict)
    # For the history: field name -> (old, new) of every field the change writes, taken when the
    # plan is made (the write parks unique values on placeholders in ``old``).
    history: dict = field(default_factory=dict)


@dataclass
class Candidate:
    """A clean entry, matched to its record (``row``) or new."""

    entry: object
    row: dict | None
    values: dict
    valid: int  # the validity the record ends with
    dynamic: dict = field(default_factory=dict)  # the mapped dynamic fields: name -> typed value


class Plan:
    """Every change one sync makes."""

    def __init__(self, source, report):
        self.source = source
        self.report = report
        self.default_country = default_country_of(source)
        self.changes = {key: [] for key in MODEL_KEYS}
        self.valid_before = dict.fromkeys(MODEL_KEYS, 0)
        self.searched = dict.fromkeys(MODEL_KEYS, False)
        self.entry_count = dict.fromkeys(MODEL_KEYS, 0)
        # normalized DN -> Customer pk or new Customer, for people under their organization.
        self.customer_by_dn = {}
        # folded CustomerID after this sync -> Customer pk or new Customer.
        self.synced_customers = {}
        self.defaults = {}  # model -> its dynamic field defaults (name -> typed value)
        # Group links (a source mapping groups, with CUSTOMER_GROUP_SUPPORT): see plan_group_links.
        self.known_groups, self.always_groups = set(), set()
        self.unknown_groups = {}  # name -> (entries naming it, the first DN)
        self.bad_group_values = {}  # value -> (why, the first DN)

    # --- the two models ---

    def customers(self, entries):
        self.searched["customers"] = "customer" in self.source.searched_models()
        if not self.searched["customers"]:
            return
        fields = self.mapped_fields("customer", Customer)
        dynamic = self.mapped_dynamic_fields("customers")
        if GROUPS in self.source.attr_map("customer"):
            if group_support():
                fields.append(GROUPS)
                self.plan_group_links()
            else:
                self.report.problem(
                    "customers",
                    _("CUSTOMER_ATTR_MAP maps groups, but CUSTOMER_GROUP_SUPPORT is off: its attribute is not synced."),
                )
        planned = self.plan_model("customers", Customer, "customer_id", fields, entries, dynamic=dynamic)
        self.report_group_problems()
        for candidate, change in planned:
            target = change.obj if change is not None and change.obj is not None else candidate.row["pk"]
            self.customer_by_dn[candidate.entry.normalized_dn] = target
            self.synced_customers[fold(candidate.values["customer_id"])] = target

    def customer_users(self, entries):
        self.searched["customer_users"] = "customer_user" in self.source.searched_models()
        if not self.searched["customer_users"]:
            return
        fields = self.mapped_fields("customer_user", CustomerUser)
        dynamic = self.mapped_dynamic_fields("customer_users")
        known = {fold(cid): pk for pk, cid in Customer.objects.values_list("pk", "customer_id").iterator()}
        mirrored = Customer.objects.filter(data_source=self.source.key).exclude(external_dn="")
        for pk, dn in mirrored.values_list("pk", "external_dn").iterator():
            self.customer_by_dn.setdefault(self.source.normalized_dn(dn), pk)
        default = self.source.option("DEFAULT_CUSTOMER")

        def customer_of(customer_id):
            return self.synced_customers.get(fold(customer_id)) or known.get(fold(customer_id))

        def resolve(entry):
            """The entry's customer and additional customers, or why they cannot be found."""
            reference = entry.values.get("customer", "")
            customer = None
            if reference:
                customer = customer_of(reference)
                if not customer:
                    return {}, _("its customer %(customer)s is not a known CustomerID") % {"customer": reference}
            for ancestor in entry.ancestors if customer is None else ():
                if ancestor in self.customer_by_dn:
                    customer = self.customer_by_dn[ancestor]
                    break
            if customer is None and default and customer_of(default):
                customer = customer_of(default)
            if customer is None:
                return {}, _(
                    "it names no customer and is not under a customer entry; the source's DEFAULT_CUSTOMER "
                    "option would give it one"
                )
            # Keyed by pk, or by identity for the Customers this sync creates (not hashable yet).
            additional = {}
            for reference in entry.additional_customers:
                found = customer_of(reference)
                if not found:
                    why = _("its additional customer %(customer)s is not a known CustomerID")
                    return {}, why % {"customer": reference}
                additional[link_key(found)] = found
            additional.pop(link_key(customer), None)
            addresses, problem = additional_addresses(entry)
            if problem:
                return {}, problem
            return {"customer": customer, LINKS: tuple(additional.values()), ADDRESSES: addresses}, ""

        fields.append("customer_id")
        if "customer" in self.source.attr_map("customer_user"):
            fields.append(LINKS)  # the customer attribute's further values
        fields.append(ADDRESSES)  # the email attribute's further values (none: the person has none)
        self.plan_model("customer_users", CustomerUser, "login", fields, entries, resolve=resolve, dynamic=dynamic)

    # --- group links ---

    def plan_group_links(self):
        """Ready to resolve the group names of the entries: every group's name, and the always groups."""
        self.known_groups = set(Group.objects.values_list("name", flat=True))
        self.always_groups = set(settings.CUSTOMER_GROUP_ALWAYS)

    def group_links(self, entry, text, row):
        """The links a customer gets from its entry's group values: each known group with its
        permission (``ro`` when none), the always groups as they are (a new customer's ``rw``).
        Unknown groups and values that are no group link are left out and reported."""
        links = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            try:
                parsed = parse_group_links(part)
            except ValidationError as error:
                self.bad_group_values.setdefault(part.strip(), (" ".join(error.messages), entry.dn))
                continue
            for name, permission in parsed.items():
                if name not in self.known_groups:
                    count, dn = self.unknown_groups.get(name, (0, entry.dn))
                    self.unknown_groups[name] = (count + 1, dn)
                elif links.get(name) != RW:
                    links[name] = permission
        if row is None:
            links.update(dict.fromkeys(self.always_groups, RW))
        else:
            links.update((name, permission) for name, permission in row[GROUPS] if name in self.always_groups)
        return tuple(sorted(links.items()))

    def report_group_problems(self):
        """The group names no group has, and the values that are no group link: left out, reported."""
        attribute = self.source.attr_map("customer").get(GROUPS, "")
        for name, (count, dn) in sorted(self.unknown_groups.items()):
            self.report.problem(
                "customers",
                _(
                    "%(attribute)s names the group “%(name)s” (%(count)d entries, the first %(dn)s), but there is no "
                    "such group: not linked. Create the group to link it."
                )
                % {"attribute": attribute, "name": name, "count": count, "dn": dn},
            )
        for _value, (why, dn) in sorted(self.bad_group_values.items()):
            self.report.problem("customers", f"{attribute} ({dn}): {why}")

    def defaults_of(self, model):
        """The dynamic field defaults of a new record of ``model``, read once a sync."""
        if model not in self.defaults:
            self.defaults[model] = defaults_of(model)
        return self.defaults[model]

    def mapped_dynamic_fields(self, model_key):
        """The dynamic fields the source maps (see ``dynamic_mapping``); keys naming none are reported."""
        mapped, problems = dynamic_mapping(self.source, model_key)
        for problem in problems:
            self.report.problem(model_key, problem)
        return mapped

    def mapped_fields(self, model_key, model):
        """The model's text fields the source maps, and the country (which has a default);
        validity and the customer reference are planned apart."""
        mapped = set(self.source.attr_map(model_key))
        text = [name for name in model.RECORD_FIELDS if name in mapped and name not in ("country", "valid", "customer")]
        return [*text, "country"]

    # --- matching, checking, planning ---

    def plan_model(self, model_key, model, key_field, fields, entries, *, resolve=None, dynamic=None):
        """Match ``entries`` to this source's records and plan their changes; returns what was planned.
        ``dynamic`` are the dynamic fields the source maps (``dynamic_mapping``)."""
        dynamic = dynamic or {}
        rows = list(
            model.objects.filter(data_source=self.source.key).values(
                "pk",
                "external_id",
                "external_dn",
                "valid",
                "invalidated_by_sync",
                *(f for f in fields if f not in (LINKS, GROUPS, ADDRESSES)),
            )
        )
        if LINKS in fields:
            self.load_links(rows)
        if ADDRESSES in fields:
            addresses = load_addresses([row["pk"] for row in rows])
            for row in rows:
                row[ADDRESSES] = addresses[row["pk"]]
        if GROUPS in fields:
            linked = load_group_links([row["pk"] for row in rows])
            for row in rows:
                row[GROUPS] = linked[row["pk"]]
        if dynamic:
            self.load_dynamic(model, rows, dynamic)
        self.valid_before[model_key] = sum(row["valid"] == VALID for row in rows)
        self.entry_count[model_key] = len(entries)
        entries = sorted(entries, key=lambda entry: entry.normalized_dn[::-1])
        matched = self.match(entries, rows, key_field)
        claimed = {row["pk"] for row in matched.values()}
        # The unique fields (the key first), each with the condition its constraint holds in.
        names = {rule.field: rule.condition for rule in sorted(unique_rules(model), key=lambda r: r.field != key_field)}

        # Values no entry may take: other sources' records, this source's vanished records
        # (they keep their key and name; their email stops counting once invalid), and the
        # records of skipped and conflicting entries, which stay as they are.
        occupied = self.occupied_elsewhere(model, names)
        for row in rows:
            if row["pk"] not in claimed:
                reason = _("belongs to this source's record of %(dn)s, whose entry vanished") % {
                    "dn": row["external_dn"] or row[key_field]
                }
                self.reserve(occupied, row, names, reason, valid=False)

        candidates = []
        for index, entry in enumerate(entries):
            row = matched.get(index)
            values, problems = clean_values(model_key, entry.values, self.default_country)
            dynamic_values, dynamic_problems = clean_dynamic(dynamic, entry.dynamic)
            problems = entry.problems + problems + dynamic_problems
            if not problems and resolve is not None:
                resolved, problem = resolve(entry)
                values.update(resolved)
                if problem:
                    problems.append(problem)
            if not problems:
                valid = resulting_validity(row, values.pop("valid", VALID))
                candidates.append(Candidate(entry, row, values, valid, dynamic_values))
                continue
            why = "; ".join(problems)
            if settings.SYNC_FAIL_ON_MALFORMED:
                raise SyncError(f"{self.source.label}: {entry.dn}: {why}")
            self.report.add(model_key, "skipped", entry.dn, why)
            if row is not None:
                reason = _("belongs to the record of %(dn)s, which this sync skips") % {"dn": entry.dn}
                self.reserve(occupied, row, names, reason, valid=row["valid"] == VALID)

        conflicts = self.find_conflicts(model, names, candidates, occupied)
        planned = []
        for index, candidate in enumerate(candidates):
            if index in conflicts:
                if settings.SYNC_FAIL_ON_CONFLICT:
                    raise SyncError(f"{self.source.label}: {candidate.entry.dn}: {conflicts[index]}")
                self.report.add(model_key, "conflicts", candidate.entry.dn, conflicts[index])
                continue
            planned.append((candidate, self.plan_entry(model_key, model, fields, candidate)))

        for row in rows:
            if row["pk"] not in claimed and row["valid"] == VALID:
                why = _("no longer in the directory")
                values = model.invalidation(by_sync=True)
                if model_key == "customer_users":
                    # A vanished entry has no DN: a disabled one keeps it. So the privacy engine tells
                    # a person the directory no longer holds (and may anonymise) from one it still holds.
                    values["external_dn"] = ""
                old = {name: row[name] for name in values if name in row}
                change = Change(model_key, "invalidated", row["external_dn"], values, row["pk"], old, ["valid"], why)
                change.history = {"valid": (row["valid"], values["valid"])}
                self.changes[model_key].append(change)
                self.report.add(model_key, "invalidated", row["external_dn"] or row[key_field], why)
            elif row["pk"] not in claimed and row["invalidated_by_sync"] and row["external_dn"]:
                if model_key == "customer_users":  # disabled before, vanished now
                    values, old = {"external_dn": ""}, {"external_dn": row["external_dn"]}
                    change = Change(model_key, "updated", row["external_dn"], values, row["pk"], old, ["external_dn"])
                    change.history = {"external_dn": (row["external_dn"], "")}
                    self.changes[model_key].append(change)
                    self.report.add(model_key, "updated")
        return planned

    @staticmethod
    def load_dynamic(model, rows, dynamic):
        """Each row's stored values of the mapped dynamic fields, read in batches."""
        definitions = list({definition.pk: definition for definition, _attribute in dynamic.values()}.values())
        stored = load_values(model, [row["pk"] for row in rows], definitions)
        for row in rows:
            row[DYNAMIC] = stored[row["pk"]]

    @staticmethod
    def load_links(rows):
        """Each customer user row's additional customers, as a frozenset of pks."""
        linked = load_links(CustomerUser, LINKS, [row["pk"] for row in rows])
        for row in rows:
            row[LINKS] = frozenset(linked[row["pk"]])

    @staticmethod
    def match(entries, rows, key_field):
        """Entry index -> record row: by identity, then by key for records whose UUID is gone."""
        by_id = {row["external_id"]: row for row in rows if row["external_id"]}
        by_key = {fold(row[key_field]): row for row in rows}
        directory_ids = {entry.external_id for entry in entries if entry.external_id}
        matched, claimed = {}, set()
        for index, entry in enumerate(entries):
            row = by_id.get(entry.external_id) if entry.external_id else None
            if row is not None and row["pk"] not in claimed:
                matched[index] = row
                claimed.add(row["pk"])
        for index, entry in enumerate(entries):
            if index in matched:
                continue
            row = by_key.get(fold(entry.values.get(key_field, "")))
            if row is not None and row["pk"] not in claimed and row["external_id"] not in directory_ids:
                matched[index] = row
                claimed.add(row["pk"])
        return matched

    @staticmethod
    def reserve(occupied, row, names, reason, *, valid):
        """``row``'s unique values are taken: those whose constraint holds for a record of its validity."""
        for name, condition in names.items():
            if meets(condition, {"valid": VALID if valid else Validity.INVALID}):
                for value in unique_values(name, row):
                    occupied[name].setdefault(fold(value), reason)

    def occupied_elsewhere(self, model, names):
        """Folded value -> why it is taken, for the unique values of every other source's records."""
        reason = _("belongs to a record of another data source")
        others = model.objects.exclude(data_source=self.source.key)
        occupied = {}
        for name, condition in names.items():
            queryset = others if condition is None else others.filter(condition)
            occupied[name] = {fold(value): reason for value in queryset.values_list(name, flat=True).iterator()}
        if model is CustomerUser:
            # An address is one valid person's, as a primary or an additional one.
            additional = CustomerUserEmail.objects.filter(customer_user__valid=VALID).exclude(
                customer_user__data_source=self.source.key
            )
            for key in additional.values_list("email_key", flat=True).iterator():
                occupied["email"].setdefault(key, reason)
        return occupied

    def find_conflicts(self, model, names, candidates, occupied):
        """Candidate index -> why it conflicts. A conflicting entry's record keeps its values, which
        may in turn be what another entry wanted: repeated until nothing more conflicts."""
        conflicts = {}
        while True:
            found, taken = {}, {name: {} for name in names}  # folded value -> DN of the entry taking it
            for index, candidate in enumerate(candidates):
                problem = self.conflict(model, names, candidate, occupied, taken)
                if problem:
                    found[index] = problem
                    continue
                for name, condition in names.items():
                    if meets(condition, {"valid": candidate.valid}):
                        for value in unique_values(name, candidate.values):
                            taken[name][fold(value)] = candidate.entry.dn
            new = set(found) - set(conflicts)
            conflicts = found
            if not new:
                return conflicts
            for index in new:
                row = candidates[index].row
                if row is not None:
                    reason = _("belongs to the record of %(dn)s, which this sync leaves alone") % {
                        "dn": candidates[index].entry.dn
                    }
                    self.reserve(occupied, row, names, reason, valid=row["valid"] == VALID)

    @staticmethod
    def conflict(model, names, candidate, occupied, taken):
        for name, condition in names.items():
            if not meets(condition, {"valid": candidate.valid}):
                continue
            own = {fold(value) for value in unique_values(name, candidate.row or {})}
            for value in unique_values(name, candidate.values):
                folded = fold(value)
                label = {"field": field_label(model, name), "value": value}
                if folded in occupied[name] and folded not in own:
                    return _("%(field)s %(value)s %(reason)s") % {**label, "reason": occupied[name][folded]}
                if folded in taken[name]:
                    return _("%(field)s %(value)s is used by the entry %(dn)s too") % {
                        **label,
                        "dn": taken[name][folded],
                    }
        return ""

    def plan_entry(self, model_key, model, fields, candidate):
        """The change for one entry that syncs (``None`` when its record is unchanged)."""
        entry, row, values = candidate.entry, candidate.row, candidate.values
        written = {}
        for name in fields:
            if name == "customer_id" and model_key == "customer_users":
                # An existing customer's pk, or the Customer this sync creates.
                customer = values["customer"]
                written["customer_id" if isinstance(customer, int) else "customer"] = customer
            else:
                written[name] = values.get(name, "")
        links = written.pop(LINKS, None)
        groups = written.pop(GROUPS, None)
        addresses = written.pop(ADDRESSES, None)
        if groups is not None:
            groups = self.group_links(entry, groups, row)
        if row is None:
            obj = model(
                data_source=self.source.key,
                external_id=entry.external_id,
                external_dn=entry.dn,
                valid=candidate.valid,
                invalidated_by_sync=candidate.valid != VALID,
                **written,
            )
            # A new record gets the defaults of the fields the source does not map, as a saved one does.
            dynamic = {name: value for name, value in self.defaults_of(model).items() if name not in candidate.dynamic}
            dynamic.update((name, value) for name, value in candidate.dynamic.items() if not is_empty(value))
            change = Change(
                model_key, "created", entry.dn, {}, obj=obj, links=links or None, dynamic=dynamic, groups=groups
            )
            change.addresses = addresses or None
            change.history = history_values(
                model_key,
                {**written, "valid": candidate.valid, "external_dn": entry.dn, "external_id": entry.external_id},
                {},
                links=(None, links),
                groups=(None, groups),
                dynamic={name: (None, value) for name, value in dynamic.items()},
                addresses=(None, addresses or None),
            )
            self.changes[model_key].append(change)
            self.report.add(model_key, "created", entry.dn)
            return change
        changed = [name for name, value in written.items() if name == "customer" or row.get(name) != value]
        update = {name: written[name] for name in changed}
        for name, value in (("external_dn", entry.dn), ("external_id", entry.external_id)):
            if row[name] != value:
                update[name] = value
                changed.append(name)
        if links is not None and all(isinstance(target, int) for target in links) and set(links) == row[LINKS]:
            links = None
        if links is not None:
            changed.append(LINKS)
        if groups is not None and groups == row[GROUPS]:
            groups = None
        if groups is not None:
            changed.append(GROUPS)
        if addresses is not None and addresses == row[ADDRESSES]:
            addresses = None
        if addresses is not None:
            changed.append(ADDRESSES)
        stored = row.get(DYNAMIC, {})
        dynamic = {name: value for name, value in candidate.dynamic.items() if stored[name] != value}
        changed += [prefixed(name) for name in dynamic]
        word, why = "updated", ""
        if row["valid"] == VALID and candidate.valid != VALID:
            word, why = "invalidated", _("disabled in the directory")
            update.update(valid=candidate.valid, invalidated_by_sync=True)
        elif row["valid"] != VALID and candidate.valid == VALID:
            word, why = "reactivated", _("back in the directory")
            update.update(valid=VALID, invalidated_by_sync=False)
        if not update and links is None and groups is None and addresses is None and not dynamic:
            self.report.add(model_key, "unchanged")
            return None
        old = {name: row["customer_id" if name == "customer" else name] for name in update}
        if links is not None:
            old[LINKS] = row[LINKS]
        if groups is not None:
            old[GROUPS] = row[GROUPS]
        if addresses is not None:
            old[ADDRESSES] = row[ADDRESSES]
        change = Change(model_key, word, entry.dn, update, row["pk"], old, changed, why, links=links, groups=groups)
        change.addresses = addresses
        change.dynamic, change.dynamic_old = dynamic, {name: stored[name] for name in dynamic}
        change.history = history_values(
            model_key,
            update,
            old,
            links=(row.get(LINKS), links),
            groups=(row.get(GROUPS), groups),
            dynamic={name: (stored[name], value) for name, value in dynamic.items()},
            addresses=(row.get(ADDRESSES), addresses),
        )
        self.changes[model_key].append(change)
        self.report.add(model_key, word, entry.dn, why)
        return change

    # --- the guard ---

    def check(self, allow_mass_invalidation):
        """Raise ``MassInvalidation`` when the plan would invalidate more than the guard allows."""
        if allow_mass_invalidation:
            return
        percent = settings.SYNC_MASS_INVALIDATION["PERCENT"]
        minimum = settings.SYNC_MASS_INVALIDATION["MINIMUM"]
        names = {"customers": _("customers"), "customer_users": _("customer users")}
        for model_key in MODEL_KEYS:
            valid = self.valid_before[model_key]
            going = self.report.counts[model_key]["invalidated"]
            emptied = self.searched[model_key] and self.entry_count[model_key] == 0 and going > 0
            if emptied or (going > valid * percent / 100 and going >= minimum):
                raise MassInvalidation(
                    _(
                        "%(source)s: stopped, nothing was changed: the sync would set %(going)d of %(valid)d valid "
                        "%(records)s invalid (the limit is %(percent)s%% when at least %(minimum)d). If the directory "
                        "really lost them, run the sync again with --allow-mass-invalidation."
                    )
                    % {
                        "source": self.source.label,
                        "going": going,
                        "valid": valid,
                        "records": names[model_key],
                        "percent": percent,
                        "minimum": minimum,
                    }
                )

    # --- writing ---

    def write(self, user, progress):
        """Everything in one transaction: first what frees unique values (records set invalid,
        values given up), then the updates, then the new records. A record that another writer
        changed since the plan read it stops the sync, and nothing is written."""
        before_write.send(sender="sync")
        now = timezone.now()
        total = sum(len(changes) for changes in self.changes.values())
        done = 0
        try:
            with transaction.atomic(), self.source.writing():
                for model_key in MODEL_KEYS:
                    model = model_of(model_key)
                    changes = self.changes[model_key]
                    updates = [change for change in changes if change.obj is None]
                    updates.sort(key=lambda change: change.word != "invalidated")
                    try:
                        self.park_given_up_values(model, updates)
                        self.update(model, updates, now)
                        self.write_dynamic(model, updates)
                    except RowsMoved as moved:
                        self.refuse_moved(updates, moved)
                    new = [change.obj for change in changes if change.obj is not None]
                    model.objects.bulk_create(new, batch_size=WRITE_BATCH)
                    self.write_dynamic(model, [change for change in changes if change.obj is not None])
                    self.write_links([change for change in changes if change.links is not None])
                    if model is CustomerUser:
                        try:
                            self.write_addresses(changes)
                        except RowsMoved as moved:
                            self.refuse_moved(updates, moved)
                    try:
                        self.write_group_links([change for change in changes if change.groups is not None])
                    except RowsMoved as moved:
                        self.refuse_moved(updates, moved)
                    done += len(changes)
                    progress("write", done, total)
                    record_history(user, "sync", model, self.history(model, changes))
        except DatabaseError as error:
            raise SyncError(
                _("%(source)s: nothing was written, the database refused a change: %(error)s")
                % {"source": self.source.label, "error": error}
            ) from error

    def refuse_moved(self, updates, moved):
        dns = {change.pk: change.dn for change in updates}
        records = ", ".join(dns.get(pk, str(pk)) for pk in moved.pks[:MOVED_NAMED])
        raise SyncError(
            _(
                "%(source)s: nothing was written: %(records)s changed while the sync ran (an import, a merge or a "
                "user saved them). Run the sync again."
            )
            % {"source": self.source.label, "records": records}
        )

    @staticmethod
    def write_dynamic(model, changes):
        """The dynamic fields the changes set: an existing record's where they still hold what the plan read."""
        values = {change.obj.pk if change.obj is not None else change.pk: change.dynamic for change in changes}
        read = {change.pk: change.dynamic_old for change in changes if change.obj is None}
        replace_values(model, values, read=read)

    @staticmethod
    def write_links(changes):
        """Replace the additional customers of the customer users whose links change (an existing
        record's where they are still those the plan read)."""
        links = {
            change.obj.pk if change.obj is not None else change.pk: [
                getattr(target, "pk", target) for target in change.links
            ]
            for change in changes
        }
        read = {change.pk: change.old[LINKS] for change in changes if change.obj is None and LINKS in change.old}
        replace_links(CustomerUser, LINKS, links, read=read)

    def write_addresses(self, changes):
        """Set the additional addresses of the customer users whose addresses change (an existing
        record's where they are still those the plan read), then check the rule, under its lock, for
        everyone whose addresses, primary address or validity changed: a person another writer gave one
        of these addresses since the plan stops the sync, and nothing is written."""
        setting = [change for change in changes if change.addresses is not None]
        pk = {id(change): change.obj.pk if change.obj is not None else change.pk for change in changes}
        others = [
            pk[id(change)]
            for change in changes
            if change.addresses is None
            and (change.obj is not None or change.word == "reactivated" or "email" in change.values)
        ]
        try:
            replace_addresses(
                {pk[id(change)]: change.addresses for change in setting},
                read={change.pk: change.old[ADDRESSES] for change in setting if change.obj is None},
            )
            refuse_taken_addresses(others)
        except AddressTaken as taken:
            raise SyncError(
                _(
                    "%(source)s: nothing was written: while the sync ran, another writer gave the address "
                    "%(address)s to another valid customer user. Run the sync again."
                )
                % {"source": self.source.label, "address": taken.conflicts[0].address}
            ) from None

    @staticmethod
    def write_group_links(changes):
        """Replace the group links of the customers whose links change (an existing customer's where
        they are still those the plan read)."""
        links = {change.obj.pk if change.obj is not None else change.pk: change.groups for change in changes}
        read = {change.pk: change.old[GROUPS] for change in changes if change.obj is None}
        replace_group_links(links, read=read)

    def park_given_up_values(self, model, updates):
        """Move the unique values that records give up onto placeholders, so that records may swap them."""
        unique = [rule.field for rule in unique_rules(model)]
        parked = []
        for change in updates:
            for name in unique:
                if name in change.values:
                    placeholder = PARKED.format(pk=change.pk)
                    parked.append((change.pk, {name: change.old[name]}, {name: placeholder}))
                    change.old[name] = placeholder
        update_rows(model, parked)

    def update(self, model, changes, now):
        """Each record's changed fields, where it still holds what the plan read."""
        updates = []
        for change in changes:
            values = dict(change.values)
            if "customer" in values:
                values["customer_id"] = values.pop("customer").pk
            old = {("customer_id" if name == "customer" else name): value for name, value in change.old.items()}
            old.pop(LINKS, None)
            old.pop(GROUPS, None)
            old.pop(ADDRESSES, None)
            updates.append((change.pk, old, {**values, "changed_at": now}))
        update_rows(model, updates)

    def history(self, model, changes):
        label = self.source.label
        labels = {}  # field name -> its label, looked up once (a dynamic field's is a query)
        entries = []
        for change in changes:
            if change.obj is not None:
                flag, object_id, text = ADDITION, change.obj.pk, str(change.obj)
                message = str(Phrase(_("Added by sync of %(source)s."), source=label))
            else:
                flag, object_id, text = CHANGE, change.pk, change.dn
                if change.word == "invalidated":
                    message = str(
                        Phrase(_("Set invalid by sync of %(source)s: %(why)s."), source=label, why=change.why)
                    )
                elif change.word == "reactivated":
                    message = str(
                        Phrase(_("Valid again by sync of %(source)s: %(why)s."), source=label, why=change.why)
                    )
                else:
                    for name in change.changed:
                        if name not in labels:
                            labels[name] = str(field_label(model, name))
                    fields = ", ".join(labels[name] for name in dict.fromkeys(change.changed))
                    message = str(Phrase(_("Changed by sync of %(source)s: %(fields)s."), source=label, fields=fields))
            entries.append(HistoryChange(object_id, text, flag, message, change.history))
        return entries
