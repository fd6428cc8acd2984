"""Privacy: anonymise a person, erase them, export what is stored about them (GDPR Art. 15 and 17),
and the retention rule (``ANONYMIZE_INVALID_AFTER``).

One engine behind three doors (the detail view's "Anonymise", ``manage.py
anonymize_customer_users`` and the retention rule): ``plan_anonymization()`` says what would change
or why it cannot, ``anonymize_customer_users()`` does it in one transaction.

What anonymisation replaces: title, first and last name, login (``anonymized-<pk>``), email (an
address of the reserved ``.invalid`` domain), phone, fax, mobile, street, zip, city, country,
comment, the directory identity (external ID and DN), every dynamic field whose definition is
``personal`` (cleared, retired definitions too) and the additional addresses (deleted); the record
is set invalid. Kept: the record itself (its pk), its customer and additional customers, its
tickets and their counts, its data source.

What it scrubs (``scrub_history``): in every history entry of the person (the admin's
``LogEntry`` and django-auditlog's) the record's text and the values of the personal fields; in the
history entries of any other record, in jobs' reports and options and in sync runs' details, every
text naming the person (login, addresses, full name, directory DN). One entry records that the
anonymisation happened, by whom and with which writer, without the old values.
"""

import json
import re
from dataclasses import dataclass, field

from auditlog.models import LogEntry as ValueEntry
from django.contrib.admin.models import CHANGE, DELETION
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from .conf import settings
from .directory_sync import history_user
from .exceptions import RowsMoved
from .history import MERGED_INTO, Change, entries_of, record_history, stored_value, writer_label
from .models import CustomerUser, Job, SyncRun, Ticket, Validity
from .models.customer_user import CustomerUserEmail
from .models.dynamic_field_types import display_value, empty_value, is_empty
from .models.dynamic_fields import field_definitions, prefixed
from .models.dynamic_values import value_model_of
from .models.visibility import RW, may_change, restricted
from .writes import field_label, load_values, replace_values, update_rows

# The person's own fields that anonymisation replaces, in the form's order.
PERSONAL_FIELDS = (
    *("title", "first_name", "last_name", "login", "email", "phone", "fax", "mobile"),
    *("street", "zip", "city", "country", "comment"),
)
# Where a directory's record keeps its entry: the DN names the person (uid=jdoe,…).
DIRECTORY_FIELDS = ("external_id", "external_dn")
# What stands in for a scrubbed value in the history: no language's word, so that it reads the same in all.
SCRUBBED = "***"
# Texts shorter than this are not searched for in other records' history: they would match too much.
SHORTEST_SEARCHED = 3
# How many texts naming people one search of another table looks for.
TEXTS_A_SEARCH = 20
# How many people the retention rule anonymises in one transaction.
BATCH = 200


class AnonymizationRefused(Exception):
    """Nothing was anonymised; ``reasons`` says why (translated sentences)."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


def anonymized_login(pk):
    return f"anonymized-{pk}"


def anonymized_values(pk):
    """What an anonymised person's own fields hold: nothing personal, and the pk to tell them apart."""
    values = dict.fromkeys(PERSONAL_FIELDS, "")
    values.update(
        login=anonymized_login(pk),
        first_name="Anonymized",
        last_name=f"#{pk}",
        email=f"anonymized-{pk}@anonymized.invalid",
    )
    return values


def is_anonymized(person):
    return person.login == anonymized_login(person.pk)


def personal_definitions():
    """The definitions of customer users' dynamic fields marked personal, retired ones too."""
    return [
        definition for definition in field_definitions("customer_user", include_invalid=True) if definition.personal
    ]


def entry_vanished(person):
    """Whether the directory no longer holds the entry of ``person`` (a directory's record): the sync
    set it invalid because the entry vanished, and cleared its DN (a disabled entry keeps its DN,
    and the next sync would write its values back)."""
    return person.invalidated_by_sync and not person.external_dn and person.valid != Validity.VALID


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class AnonymizationPlan:
    """What anonymising ``person`` changes, or why it cannot."""

    person: CustomerUser
    # (field name, old value, new value) of each field that changes, dynamic fields as ``DynamicField_<Name>``.
    fields: list = field(default_factory=list)
    addresses: list = field(default_factory=list)
    ticket_count: int = 0
    refusals: list = field(default_factory=list)
    already: bool = False
    # The dynamic field values as read (name -> value), for the compare-and-set of the write.
    dynamic_read: dict = field(default_factory=dict)

    @property
    def allowed(self):
        return not self.refusals

    def changes(self):
        """``(label, old, new)`` of each change, as the confirmation page and the dry run list them."""
        definitions = {prefixed(d.name): d for d in personal_definitions()}
        rows = []
        for name, old, new in self.fields:
            if name in definitions:
                definition = definitions[name]
                rows.append((definition.label or definition.name, display_value(definition, old), _("(cleared)")))
            else:
                old = old.name if name == "country" and old else old
                new = _("(empty)") if new == "" else new
                rows.append((field_label(CustomerUser, name), old, new))
        for address in self.addresses:
            rows.append((_("Additional email address"), address, _("(deleted)")))
        if self.person.is_valid:
            rows.append((field_label(CustomerUser, "valid"), self.person.get_valid_display(), Validity(2).label))
        return rows


def plan_anonymization(person, viewer=None, dynamic=None, addresses=None):
    """The ``AnonymizationPlan`` of ``person``; reads, never writes. ``viewer``: the user it is for
    (None: the site itself); with customer groups they need read and write on the person's customer.
    ``dynamic`` and ``addresses``: the person's personal dynamic values and addresses, when the
    caller read them in bulk."""
    plan = AnonymizationPlan(person=person)
    if is_anonymized(person):
        plan.already = True
        return plan
    if person.is_read_only and not entry_vanished(person):
        plan.refusals.append(
            _(
                "%(person)s belongs to the read-only data source %(source)s, which still holds the entry: "
                "delete it there; once a sync finds it gone, it can be anonymised here."
            )
            % {"person": person.login, "source": person.source_label}
        )
    if restricted(viewer, RW) and not may_change(viewer, person):
        plan.refusals.append(
            _("Your groups do not let you change the customer of %(person)s.") % {"person": person.login}
        )
    new = anonymized_values(person.pk)
    plan.fields = [
        (name, getattr(person, name), new[name]) for name in PERSONAL_FIELDS if getattr(person, name) != new[name]
    ]
    if dynamic is None:
        dynamic = load_values(CustomerUser, [person.pk], personal_definitions())[person.pk]
    plan.dynamic_read = dynamic
    plan.fields += [(prefixed(name), value, None) for name, value in dynamic.items() if not is_empty(value)]
    if addresses is None:
        addresses = list(person.additional_emails.values_list("email", flat=True))
    plan.addresses = addresses
    plan.ticket_count = Ticket.objects.filter(customer_user=person).count()
    return plan


def merged_into(pks):
    """The pks of the customer users merged into the people ``pks``, and of those merged into them,
    and so on: their merges' history names where each went (``history.MERGED_INTO``)."""
    content_type = ContentType.objects.get_for_model(CustomerUser)
    found, frontier = set(), set(pks)
    while frontier:
        entries = ValueEntry.objects.filter(
            content_type=content_type, **{f"changes__{MERGED_INTO}__1__in": sorted(frontier)}
        )
        frontier = set(entries.values_list("object_id", flat=True)) - found - set(pks)
        found |= frontier
    return found


def plan_all(people, viewer=None):
    """The plans of ``people`` (customer users), their dynamic values and addresses read in bulk."""
    people = list(people)
    pks = [person.pk for person in people]
    dynamic = load_values(CustomerUser, pks, personal_definitions())
    addresses = {pk: [] for pk in pks}
    for pk, email in CustomerUserEmail.objects.filter(customer_user__in=pks).values_list("customer_user", "email"):
        addresses[pk].append(email)
    return [plan_anonymization(person, viewer, dynamic[person.pk], addresses[person.pk]) for person in people]


# --- anonymising ----------------------------------------------------------------------------------


@dataclass
class AnonymizationReport:
    """What ``anonymize_customer_users()`` did (or, in a dry run, would do)."""

    plans: list
    dry_run: bool

    @property
    def anonymized(self):
        return [plan for plan in self.plans if not plan.already]

    @property
    def already(self):
        return [plan for plan in self.plans if plan.already]


def anonymize_customer_users(people, *, user, writer="anonymise", dry_run=False, viewer=None):
    """Anonymise ``people`` (customer users) in one transaction; returns an ``AnonymizationReport``.

    ``user``: who the history names (None: nobody, as for the retention rule run by cron);
    ``writer``: "anonymise", "retention" or "erase". Raises ``AnonymizationRefused`` (changing
    nothing) when the plan of anyone refuses, or when a person changed since it was read. People
    anonymised already are left as they are. The records merged into them go with them: a merge
    keeps the record it merged away, with the same person's old values (``merged_into``)."""
    people = list(people)
    merged = merged_into([person.pk for person in people])
    people += CustomerUser.objects.filter(pk__in=merged).order_by("pk")
    plans = plan_all(people, viewer)
    refusals = [reason for plan in plans for reason in plan.refusals]
    if refusals:
        raise AnonymizationRefused(refusals)
    report = AnonymizationReport(plans, dry_run)
    if dry_run or not report.anonymized:
        return report
    with transaction.atomic():
        write_anonymization(report.anonymized, user, writer)
    return report


def write_anonymization(plans, user, writer):
    """Write the plans (inside the caller's transaction): the fields, compare-and-set; the dynamic
    fields; the addresses; the history scrubbed; one entry that it happened."""
    now = timezone.now()
    compared = ("valid", "invalidated_by_sync", *DIRECTORY_FIELDS, *PERSONAL_FIELDS)
    updates = []
    for plan in plans:
        person = plan.person
        old = {name: getattr(person, name) for name in compared}
        new = {
            **{name: value for name, value in anonymized_values(person.pk).items() if value != old[name]},
            **{name: "" for name in DIRECTORY_FIELDS if old[name]},
            "valid": Validity.INVALID,
            "invalidated_by_sync": False,
            "changed_at": now,
        }
        updates.append((person.pk, old, new))
    # A directory's record comes this far only when its entry vanished (plan_anonymization): its
    # source lets it be written for this once, as for its sync.
    sources = {plan.person.source for plan in plans if plan.person.is_read_only}
    try:
        with writing_all(sources):
            update_rows(CustomerUser, updates)
            clear_dynamic_fields(plans)
    except RowsMoved as moved:
        raise AnonymizationRefused(
            [
                _("%(person)s changed since it was read (a user, an import or a sync saved it); try again.")
                % {"person": plan.person.login}
                for plan in plans
                if plan.person.pk in set(moved.pks)
            ]
        ) from None
    pks = [plan.person.pk for plan in plans]
    CustomerUserEmail.objects.filter(customer_user__in=pks).delete()
    fresh = CustomerUser.objects.in_bulk(pks)
    scrub_history([(plan, str(fresh[plan.person.pk])) for plan in plans])
    record_history(
        user,
        writer,
        CustomerUser,
        [
            Change(
                plan.person.pk,
                str(fresh[plan.person.pk]),
                CHANGE,
                _("Anonymised: personal data replaced, set invalid."),
                # Which fields changed, never from what (validity is nobody's personal data).
                values={
                    **{name: (SCRUBBED, new) for name, _old, new in plan.fields},
                    **({"additional_emails": (SCRUBBED, [])} if plan.addresses else {}),
                    **({"valid": (plan.person.valid, Validity.INVALID)} if plan.person.is_valid else {}),
                },
            )
            for plan in plans
        ],
    )


class writing_all:
    """Let each of ``sources`` (data sources) be written for the duration (``DataSource.writing``)."""

    def __init__(self, sources):
        self.contexts = [source.writing() for source in sources if source is not None]

    def __enter__(self):
        for context in self.contexts:
            context.__enter__()

    def __exit__(self, *exc_info):
        for context in reversed(self.contexts):
            context.__exit__(*exc_info)


def clear_dynamic_fields(plans):
    """Clear the personal dynamic fields: the valid ones through the write kernel (compare-and-set),
    the retired ones (which no writer writes any more) by deleting their stored rows."""
    definitions = personal_definitions()
    valid = {definition.name for definition in definitions if definition.valid}
    types = {definition.name: definition.field_type for definition in definitions}
    values, read = {}, {}
    for plan in plans:
        filled = {name: value for name, value in plan.dynamic_read.items() if name in valid and not is_empty(value)}
        if filled:
            values[plan.person.pk] = {name: empty_value(types[name]) for name in filled}
            read[plan.person.pk] = filled
    replace_values(CustomerUser, values, read=read)
    retired = [definition.pk for definition in definitions if not definition.valid]
    if retired:
        value_model_of("customer_user").objects.filter(
            field_id__in=retired, record_id__in=[plan.person.pk for plan in plans]
        ).delete()


# --- scrubbing the history and the records that name a person -----------------------------------


def identifying_texts(person, addresses):
    """The texts that name ``person`` in records other than their own: login, addresses, full name, DN."""
    texts = {person.login, person.email, *addresses, person.external_dn}
    if person.first_name and person.last_name:
        texts |= {f"{person.first_name} {person.last_name}", f"{person.last_name}, {person.first_name}"}
    texts.add(str(person))
    return sorted((text for text in texts if text and len(text) >= SHORTEST_SEARCHED), key=len, reverse=True)


def personal_texts(plan):
    """Every personal value of ``plan``'s person as text, the longest first."""
    texts = set(identifying_texts(plan.person, plan.addresses))
    for _name, old, _new in plan.fields:
        value = stored_value(old)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and len(item) >= SHORTEST_SEARCHED:
                texts.add(item)
    return sorted(texts, key=len, reverse=True)


def replace_texts(value, pattern, replacement):
    """``value`` (JSON data) with every match of ``pattern`` in its texts (keys too) replaced."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [replace_texts(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {
            replace_texts(key, pattern, replacement): replace_texts(item, pattern, replacement)
            for key, item in value.items()
        }
    return value


def text_pattern(texts):
    return re.compile("|".join(re.escape(text) for text in texts), re.IGNORECASE) if texts else None


def naming(field_names, texts, json_fields=()):
    """A filter for rows whose text fields (or JSON fields, as stored) contain one of ``texts``."""
    condition = Q()
    for text in texts:
        for name in field_names:
            condition |= Q(**{f"{name}__icontains": text})
        escaped = json.dumps(text)[1:-1]  # how JSON stores it (SQLite: non-ASCII as \\u escapes)
        for name in json_fields:
            for form in {text, escaped}:
                condition |= Q(**{f"{name}_as_text__icontains": form})
    return condition


def with_json_text(queryset, json_fields):
    return queryset.annotate(**{f"{name}_as_text": Cast(name, TextField()) for name in json_fields})


def scrub_history(plans_and_texts):
    """Take the personal values of each plan's person out of the database: ``plans_and_texts`` are
    ``(plan, the record's new text)``. Their own entries lose the record's old text and the values of
    their personal fields; every other text naming them (other records' entries, jobs, sync runs)
    has those names replaced by ``SCRUBBED``."""
    content_type = ContentType.objects.get_for_model(CustomerUser)
    personal_names = {*PERSONAL_FIELDS, *DIRECTORY_FIELDS, "additional_emails"}
    personal_names |= {prefixed(definition.name) for definition in personal_definitions()}
    for plan, new_text in plans_and_texts:
        pk = plan.person.pk
        pattern = text_pattern(personal_texts(plan))
        # The person's own value entries.
        for entry in ValueEntry.objects.filter(content_type=content_type, object_id=pk):
            changes = {
                name: [SCRUBBED, SCRUBBED] if name in personal_names else replace_texts(pair, pattern, SCRUBBED)
                for name, pair in (entry.changes or {}).items()
            }
            writer = (entry.additional_data or {}).get("writer")
            ValueEntry.objects.filter(pk=entry.pk).update(
                object_repr=new_text,
                changes=changes,
                changes_text="",
                serialized_data=None,
                additional_data={"writer": writer} if writer else None,
            )
        # The person's own admin entries.
        for entry in AdminEntry.objects.filter(content_type=content_type, object_id=str(pk)):
            AdminEntry.objects.filter(pk=entry.pk).update(
                object_repr=new_text[:200], change_message=scrubbed_message(entry.change_message, pattern)
            )
    scrub_elsewhere([plan for plan, _text in plans_and_texts])


def scrubbed_message(message, pattern):
    """An admin entry's message with the matches of ``pattern`` replaced; a JSON structure stays one."""
    if pattern is None or not message:
        return message
    if message.startswith("["):
        try:
            return json.dumps(replace_texts(json.loads(message), pattern, SCRUBBED))
        except ValueError:
            pass
    return pattern.sub(SCRUBBED, message)


def scrub_elsewhere(plans):
    """The texts naming the people of ``plans`` in all history entries, jobs and sync runs. The
    texts are not indexed: each search reads the table, so all people of a batch share the searches,
    ``TEXTS_A_SEARCH`` texts at a time (a database limits the depth of a condition)."""
    texts = {text for plan in plans for text in identifying_texts(plan.person, plan.addresses)}
    pattern = text_pattern(sorted(texts, key=len, reverse=True))
    if pattern is None:
        return
    pks = [plan.person.pk for plan in plans]
    texts = sorted(texts)
    for start in range(0, len(texts), TEXTS_A_SEARCH):
        scrub_texts(texts[start : start + TEXTS_A_SEARCH], pattern, pks)


def scrub_texts(texts, pattern, pks):
    json_fields = ("changes", "additional_data", "serialized_data")
    # Their own entries too: one of them may name another of them (a merge of two records of one person).
    others = with_json_text(ValueEntry.objects.all(), json_fields)
    for entry in others.filter(naming(("object_repr", "changes_text"), texts, json_fields)):
        ValueEntry.objects.filter(pk=entry.pk).update(
            **{
                name: replace_texts(getattr(entry, name), pattern, SCRUBBED)
                for name in ("object_repr", "changes_text", *json_fields)
            }
        )
    for entry in AdminEntry.objects.filter(naming(("object_repr", "change_message"), texts)):
        AdminEntry.objects.filter(pk=entry.pk).update(
            object_repr=pattern.sub(SCRUBBED, entry.object_repr),
            change_message=scrubbed_message(entry.change_message, pattern),
        )
    # Another person's comment may name them: a merge writes "Merged into <person>" on the one merged away.
    others = CustomerUser._base_manager.exclude(pk__in=pks).filter(naming(("comment",), texts))
    for other, comment in others.values_list("pk", "comment"):
        CustomerUser._base_manager.filter(pk=other).update(comment=pattern.sub(SCRUBBED, comment))
    for model, text_fields, json_fields in (
        (Job, ("message",), ("report", "options")),
        (SyncRun, ("message",), ("details",)),
    ):
        for row in with_json_text(model.objects.all(), json_fields).filter(naming(text_fields, texts, json_fields)):
            model.objects.filter(pk=row.pk).update(
                **{name: replace_texts(getattr(row, name), pattern, SCRUBBED) for name in (*text_fields, *json_fields)}
            )


# --- erasing --------------------------------------------------------------------------------------


class ErasureRefused(AnonymizationRefused):
    pass


@dataclass
class ErasureReport:
    """What ``erase_customer_users()`` did: the people deleted (their logins as they were) and the
    people with tickets anonymised instead (their plans)."""

    deleted: list
    anonymized: AnonymizationReport | None
    dry_run: bool


def erase_customer_users(people, *, user, dry_run=False, viewer=None):
    """Erase ``people`` where the site allows deletion (``ALLOW_DELETE``): a person without tickets is
    deleted, a tombstone left in the history and their earlier history scrubbed; a person with
    tickets is anonymised instead (the tickets keep their customer user). One transaction."""
    if not settings.ALLOW_DELETE:
        raise ErasureRefused([_("This site does not allow deletion (ALLOW_DELETE); anonymise instead.")])
    plans = plan_all(people, viewer)
    refusals = [reason for plan in plans for reason in plan.refusals]
    if refusals:
        raise ErasureRefused(refusals)
    deleted = [plan for plan in plans if not plan.ticket_count]
    kept = [plan.person for plan in plans if plan.ticket_count]
    if dry_run:
        anonymized = AnonymizationReport([plan for plan in plans if plan.ticket_count], True) if kept else None
        return ErasureReport([plan.person.login for plan in deleted], anonymized, True)
    with transaction.atomic():
        anonymized = anonymize_customer_users(kept, user=user, writer="erase", viewer=viewer) if kept else None
        logins = [plan.person.login for plan in deleted]
        delete_people(deleted, user)
    return ErasureReport(logins, anonymized, False)


def tombstone_text(pk):
    return f"erased-{pk}"


def delete_people(plans, user):
    """Delete the people of ``plans`` (inside the caller's transaction), their history scrubbed and a
    tombstone left: that a customer user was erased, when and by whom, without anything personal."""
    if not plans:
        return
    scrub_history([(plan, tombstone_text(plan.person.pk)) for plan in plans])
    sources = {plan.person.source for plan in plans if plan.person.is_read_only}
    with writing_all(sources):
        CustomerUser.objects.filter(pk__in=[plan.person.pk for plan in plans]).delete()
    record_history(
        user,
        "erase",
        CustomerUser,
        [
            Change(plan.person.pk, tombstone_text(plan.person.pk), DELETION, _("Erased with its personal data."))
            for plan in plans
        ],
    )


# --- exporting a person's data (Art. 15) ---------------------------------------------------------


def when(value):
    return value.isoformat() if value else None


def person_data(person):
    """Everything stored about ``person`` as one JSON-ready dict: the record, additional addresses
    and customers, dynamic fields, tickets, and the history."""
    record = {name: stored_value(getattr(person, name)) for name in PERSONAL_FIELDS}
    record.update(
        customer={"customer_id": person.customer.customer_id, "name": person.customer.name},
        valid=person.get_valid_display(),
        data_source=person.data_source,
        external_dn=person.external_dn,
        created_at=when(person.created_at),
        changed_at=when(person.changed_at),
    )
    definitions = field_definitions("customer_user", include_invalid=True)
    dynamic = load_values(CustomerUser, [person.pk], definitions)[person.pk]
    labels = {definition.name: definition.label or definition.name for definition in definitions}
    return {
        "exported_at": when(timezone.now()),
        "customer_user": record,
        "additional_emails": [
            {"email": address.email, "added_at": when(address.added_at)} for address in person.additional_emails.all()
        ],
        "additional_customers": [
            {"customer_id": customer.customer_id, "name": customer.name}
            for customer in person.additional_customers.order_by("customer_id")
        ],
        "dynamic_fields": {
            prefixed(name): {"label": labels[name], "value": stored_value(value)}
            for name, value in dynamic.items()
            if not is_empty(value)
        },
        "tickets": [
            {
                "number": ticket.number,
                "title": ticket.title,
                "state": ticket.state,
                "customer": ticket.customer.customer_id,
                "created_at": when(ticket.created_at),
                "closed_at": when(ticket.closed_at),
            }
            for ticket in Ticket.objects.filter(customer_user=person)
            .select_related("customer")
            .order_by("created_at", "pk")
        ],
        "history": [
            {
                "when": when(entry.timestamp),
                "who": entry.actor.get_username() if entry.actor else None,
                "writer": str(writer_label(entry)),
                "action": entry.get_action_display(),
                "changes": {name: {"old": pair[0], "new": pair[1]} for name, pair in (entry.changes or {}).items()},
            }
            for entry in entries_of(CustomerUser, person.pk)
        ],
        "admin_history": [
            {
                "when": when(entry.action_time),
                "who": entry.user.get_username(),
                "message": entry.get_change_message(),
            }
            for entry in AdminEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(CustomerUser), object_id=str(person.pk)
            )
            .select_related("user")
            .order_by("-action_time", "-pk")
        ],
    }


def export_person(person):
    """``person_data`` as a JSON document (text)."""
    return json.dumps(person_data(person), ensure_ascii=False, indent=2)


# --- retention ------------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    """Who the retention rule anonymised (or, in a dry run, would): ``(person, invalid since, why)``,
    and who it left because they cannot be anonymised (``(person, reasons)``)."""

    due: list
    refused: list
    dry_run: bool


def invalid_since(people):
    """pk -> when each of ``people`` (not valid) became not valid: the history's entry that set them
    so (from valid, or at their creation), when no later entry made them valid again; else their
    ``changed_at`` (history off, or older than it)."""
    people = list(people)
    since = {person.pk: person.changed_at for person in people}
    content_type = ContentType.objects.get_for_model(CustomerUser)
    pks = list(since)
    for start in range(0, len(pks), 1000):
        entries = (
            ValueEntry.objects.filter(content_type=content_type, object_id__in=pks[start : start + 1000])
            .filter(changes__has_key="valid")
            .order_by("object_id", "timestamp", "pk")
            .values_list("object_id", "timestamp", "changes")
        )
        became = {}
        for pk, timestamp, changes in entries:
            old, new = (changes["valid"] + [None, None])[:2]
            if new == Validity.VALID:
                became.pop(pk, None)
            elif old in (None, Validity.VALID):
                became[pk] = timestamp
        since.update(became)
    return since


def retention_due(now=None):
    """``(person, invalid since)`` of the people the retention rule anonymises now: not valid for
    longer than ``ANONYMIZE_INVALID_AFTER``, and not anonymised yet. None when the setting is off."""
    after = settings.ANONYMIZE_INVALID_AFTER
    if after is None:
        return []
    cutoff = (now or timezone.now()) - after
    candidates = [
        person
        for person in CustomerUser.objects.exclude(valid=Validity.VALID).select_related("customer").order_by("pk")
        if not is_anonymized(person)
    ]
    since = invalid_since(candidates)
    return [(person, since[person.pk]) for person in candidates if since[person.pk] <= cutoff]


def apply_retention(*, now=None, dry_run=False, user=None):
    """Anonymise the people ``retention_due``, in batches of ``BATCH`` (each one transaction); those
    who cannot be anonymised (a directory still holding them) are left and reported. The history
    names ``user``, or the package's own account (``SYNC_USER``)."""
    due = retention_due(now)
    report = RetentionReport([], [], dry_run)
    plans = {plan.person.pk: plan for plan in plan_all([person for person, _since in due])}
    after = settings.ANONYMIZE_INVALID_AFTER
    allowed = []
    for person, since in due:
        plan = plans[person.pk]
        if plan.refusals:
            report.refused.append((person, plan.refusals))
            continue
        why = _("not valid since %(since)s, longer than %(after)s") % {
            "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M"),
            "after": after,
        }
        report.due.append((person, since, why))
        allowed.append(person)
    if not dry_run and allowed:
        user = history_user(user)
        for start in range(0, len(allowed), BATCH):
            anonymize_customer_users(allowed[start : start + BATCH], user=user, writer="retention")
    return report
