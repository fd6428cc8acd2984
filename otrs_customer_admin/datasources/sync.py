"""The sync: one complete read of a directory made into records, all or nothing.

``run_sync`` takes the source's lock (a ``SyncRun`` that is ``running``), reads the
whole directory (``source.read()``; any failure there changes nothing), plans every
record's change in memory, stops if the plan would invalidate too much, and then
writes everything in one transaction with bulk statements. A dry run plans the same
way and writes nothing but its ``SyncRun``, so its counts are the real run's counts.

Rules: identity is the entry's UUID (a rename or move keeps the record); an entry
that vanished makes its record invalid, never deleted; a record the sync invalidated
becomes valid when its entry returns, one invalidated by hand stays invalid; an entry
whose key or name belongs to another source's record is a conflict and left alone; a
malformed entry is skipped and its record kept as it is; unchanged records are not
written and get no history entry.
"""

import os
import socket
import time
from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..conf import settings
from .base import SyncError

WORDS = ("created", "updated", "unchanged", "invalidated", "reactivated", "skipped", "conflicts")
MODEL_KEYS = ("customers", "customer_users")
WRITE_BATCH = 1000
HEARTBEAT_EVERY = 30  # seconds
DETAILS_SHOWN = 20


class SyncAlreadyRunning(SyncError):
    """Another real sync of the same source is running."""


class MassInvalidation(SyncError):
    """The sync would invalidate more records than the guard allows; nothing was changed."""


def word_labels():
    return {
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "invalidated": _("invalidated"),
        "reactivated": _("reactivated"),
        "skipped": _("skipped"),
        "conflicts": _("conflicts"),
    }


@dataclass
class SyncReport:
    """What a sync did (or, on a dry run, would do)."""

    source: object
    dry_run: bool = False
    counts: dict = field(default_factory=lambda: {key: dict.fromkeys(WORDS, 0) for key in MODEL_KEYS})
    # word -> [(model key, DN, why)] for skipped, conflicts, invalidated and reactivated records.
    details: dict = field(default_factory=dict)
    entries: int = 0
    seconds: float = 0.0
    run: object = None

    def add(self, model_key, word, dn="", why=""):
        self.counts[model_key][word] += 1
        if why or word in ("invalidated", "reactivated"):
            self.details.setdefault(word, []).append((model_key, dn, why))

    def total(self, word):
        return sum(counts[word] for counts in self.counts.values())

    def short_summary(self):
        """``Customers: 3 created, 1 updated; Customer users: …``, leaving out the zeros."""
        return counts_text(self.counts)

    def summary_lines(self):
        """One line per model: ``Customers: 3 created, 1 updated, …``."""
        labels = word_labels()
        names = {"customers": _("Customers"), "customer_users": _("Customer users")}
        return [
            f"{names[key]}: " + ", ".join(f"{self.counts[key][word]} {labels[word]}" for word in WORDS)
            for key in MODEL_KEYS
        ]


def counts_text(counts):
    labels = word_labels()
    names = {"customers": _("Customers"), "customer_users": _("Customer users")}
    parts = []
    for model_key in MODEL_KEYS:
        model_counts = counts.get(model_key, {})
        found = [f"{model_counts[word]} {labels[word]}" for word in WORDS if model_counts.get(word)]
        if found:
            parts.append(f"{names[model_key]}: {', '.join(found)}")
    return "; ".join(parts) or _("nothing counted")


# --- values ----------------------------------------------------------------------------


def model_of(model_key):
    from ..models import Customer, CustomerUser

    return Customer if model_key in ("customer", "customers") else CustomerUser


def clean_values(model_key, values, default_country=""):
    """``values`` (field -> text) checked and parsed for the model: ``(cleaned, problems)``."""
    from ..importexport.fields import parse_country, parse_validity
    from ..models.customer import validate_customer_id

    model = model_of(model_key)
    is_customer = model_key in ("customer", "customers")
    required = ("customer_id", "name") if is_customer else ("login", "email")
    cleaned, problems = {}, []
    for name in required:
        if not values.get(name):
            problems.append(_("%(field)s is missing") % {"field": field_label(model, name)})
    for name, text in values.items():
        if name == "customer":
            continue  # a reference, resolved by the sync
        try:
            if name == "country":
                cleaned[name] = parse_country(text)
            elif name == "valid":
                cleaned[name] = parse_validity(text)
            else:
                cleaned[name] = text
                model_field = model._meta.get_field(name)
                if model_field.max_length and len(text) > model_field.max_length:
                    raise ValueError(
                        _("%(field)s has %(length)d characters, more than %(limit)d")
                        % {"field": field_label(model, name), "length": len(text), "limit": model_field.max_length}
                    )
                if text and name in ("url", "email", "customer_id"):
                    validator = {"url": model_field.validators[-1], "email": EmailValidator()}.get(
                        name, validate_customer_id
                    )
                    validator(text)
        except ValidationError as error:
            problems.append(f"{field_label(model, name)}: {' '.join(error.messages)} ({text!r})")
        except ValueError as error:
            problems.append(f"{field_label(model, name)}: {error}")
    if not values.get("country"):
        cleaned["country"] = default_country
        if is_customer and not default_country:
            problems.append(_("it has no country, and the source has no DEFAULT_COUNTRY"))
    return cleaned, problems


def entry_problems(model_key, values, default_country=""):
    return clean_values(model_key, values, default_country)[1]


def default_country_of(source):
    """The source's DEFAULT_COUNTRY, else the package's, as an ISO code."""
    from ..importexport.fields import parse_country

    return parse_country(source.option("DEFAULT_COUNTRY") or settings.DEFAULT_COUNTRY)


def field_label(model, name):
    if model._meta.model_name == "customer" and name == "name":
        return _("Name")  # the field's verbose name is "customer", as in OTRS's forms
    return capfirst(model._meta.get_field(name).verbose_name)


# --- the lock and the record of each run -------------------------------------------------


def start_run(source, *, dry_run, user):
    """A new ``SyncRun``; for a real run it is the source's lock (``SyncAlreadyRunning`` if taken)."""
    from ..models import SyncRun

    if not dry_run:
        release_abandoned_runs(source)
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                source=source.key,
                dry_run=dry_run,
                user=user if user is not None and user.pk else None,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
            )
    except IntegrityError:
        running = SyncRun.objects.filter(source=source.key, outcome=SyncRun.Outcome.RUNNING, dry_run=False).first()
        since = timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M:%S") if running else "?"
        where = f"{running.host}, process {running.pid}" if running else "?"
        raise SyncAlreadyRunning(
            _("%(source)s: a sync is already running (started %(since)s on %(where)s); try again when it has finished.")
            % {"source": source.label, "since": since, "where": where}
        ) from None


def release_abandoned_runs(source):
    """Mark runs whose process is gone (same host) or silent too long as abandoned, freeing the lock."""
    from ..models import SyncRun

    host = socket.gethostname()[:255]
    stale_before = timezone.now() - settings.SYNC_STALE_AFTER
    for run in SyncRun.objects.filter(source=source.key, outcome=SyncRun.Outcome.RUNNING, dry_run=False):
        if run.heartbeat_at < stale_before or (run.host == host and run.pid and not process_alive(run.pid)):
            run.outcome = SyncRun.Outcome.ABANDONED
            run.finished_at = timezone.now()
            run.message = _("The process running this sync ended without finishing it; nothing of it was written.")
            run.save(update_fields=["outcome", "finished_at", "message"])


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_run(run, report, outcome, message):
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.counts = report.counts
    run.message = message
    run.save(update_fields=["outcome", "finished_at", "counts", "message"])


def history_user(user):
    """Who the admin history names: the user who started the sync, or the sync's own account."""
    if user is not None and user.pk:
        return user
    model = get_user_model()
    account, created = model._default_manager.get_or_create(
        **{model.USERNAME_FIELD: settings.SYNC_USER}, defaults={"is_active": False}
    )
    if created:
        account.set_unusable_password()
        account.save()
    return account


# --- running -------------------------------------------------------------------------------


def run_sync(source, *, dry_run=False, allow_mass_invalidation=False, user=None, progress=None):
    """Sync ``source``; returns a ``SyncReport``, raises ``SyncError`` (changing nothing) when it cannot."""
    from ..models import SyncRun

    started = time.monotonic()
    report = SyncReport(source=source, dry_run=dry_run)
    run = start_run(source, dry_run=dry_run, user=user)
    report.run = run
    progress = progress or (lambda phase, done, total: None)
    last_beat = [time.monotonic()]

    def beating(phase, done, total):
        if time.monotonic() - last_beat[0] > HEARTBEAT_EVERY:
            last_beat[0] = time.monotonic()
            SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        progress(phase, done, total)

    try:
        read = source.read(beating)
        report.entries = len(read.customers) + len(read.customer_users)
        plan = Plan(source, report)
        plan.customers(read.customers)
        plan.customer_users(read.customer_users)
        plan.check(allow_mass_invalidation)
        if not dry_run:
            plan.write(history_user(user), beating)
    except MassInvalidation as error:
        finish_run(run, report, SyncRun.Outcome.STOPPED, str(error))
        raise
    except SyncError as error:
        finish_run(run, report, SyncRun.Outcome.FAILED, str(error))
        raise
    except BaseException as error:
        finish_run(run, report, SyncRun.Outcome.FAILED, f"{type(error).__name__}: {error}")
        raise
    report.seconds = time.monotonic() - started
    finish_run(run, report, SyncRun.Outcome.SUCCEEDED, "\n".join(report.summary_lines()))
    return report


@dataclass
class Change:
    """One record the sync writes."""

    model_key: str
    word: str  # created, updated, invalidated or reactivated
    dn: str
    values: dict  # every written field's new value (attnames)
    pk: object = None
    changed: list = field(default_factory=list)  # field names, for the history
    why: str = ""
    obj: object = None  # the new instance, for created records


class Plan:
    """Every change one sync makes, worked out before anything is written."""

    def __init__(self, source, report):
        self.source = source
        self.report = report
        self.default_country = default_country_of(source)
        self.changes = {key: [] for key in MODEL_KEYS}
        self.valid_before = {key: 0 for key in MODEL_KEYS}
        self.searched = {key: False for key in MODEL_KEYS}
        self.entry_count = {key: 0 for key in MODEL_KEYS}
        # normalized DN -> Customer pk or new Customer, for people under their organization.
        self.customer_by_dn = {}
        # lowered CustomerID after this sync -> Customer pk or new Customer.
        self.synced_customers = {}

    # --- customers ---

    def customers(self, entries):
        from ..models import Customer

        self.searched["customers"] = "customer" in self.source.searched_models()
        if not self.searched["customers"]:
            return
        fields = self.mapped_fields("customer", ("customer_id", "name", "street", "zip", "city", "url", "comment"))
        planned = self.plan_model("customers", Customer, "customer_id", fields, entries, unique=("name",))
        for entry, row, values, change in planned:
            target = change.obj if change is not None and change.obj is not None else row["pk"]
            self.customer_by_dn[entry.normalized_dn] = target
            self.synced_customers[values["customer_id"].lower()] = target

    # --- customer users ---

    def customer_users(self, entries):
        from ..models import Customer, CustomerUser

        self.searched["customer_users"] = "customer_user" in self.source.searched_models()
        if not self.searched["customer_users"]:
            return
        fields = self.mapped_fields(
            "customer_user",
            ("login", "title", "first_name", "last_name", "email", "phone", "fax", "mobile", "street", "zip"),
            ("city", "comment"),
        )
        known = {cid.lower(): pk for pk, cid in Customer.objects.values_list("pk", "customer_id").iterator()}
        mirrored = Customer.objects.filter(data_source=self.source.key).exclude(external_dn="")
        for pk, dn in mirrored.values_list("pk", "external_dn").iterator():
            self.customer_by_dn.setdefault(self.source.normalized_dn(dn), pk)
        default = self.source.option("DEFAULT_CUSTOMER")

        def resolve(entry):
            reference = entry.values.get("customer", "")
            if reference:
                found = self.synced_customers.get(reference.lower()) or known.get(reference.lower())
                if found:
                    return found, ""
            for ancestor in entry.ancestors:
                if ancestor in self.customer_by_dn:
                    return self.customer_by_dn[ancestor], ""
            if default and known.get(default.lower()):
                return known[default.lower()], ""
            if reference:
                return None, _("its customer %(customer)s is not a known CustomerID") % {"customer": reference}
            return None, _("it names no customer and is not under a customer entry")

        fields.append("customer_id")
        self.plan_model("customer_users", CustomerUser, "login", fields, entries, unique=("email",), resolve=resolve)

    def mapped_fields(self, model_key, *groups):
        mapped = set(self.source.attr_map(model_key))
        names = [name for group in groups for name in group if name in mapped]
        return [*names, "country"]

    # --- the shared planning ---

    def plan_model(self, model_key, model, key_field, fields, entries, *, unique, resolve=None):
        """Match ``entries`` to this source's records and plan their changes; returns what was planned."""
        report = self.report
        rows = list(
            model.objects.filter(data_source=self.source.key).values(
                "pk", "external_id", "external_dn", "valid", "invalidated_by_sync", *fields
            )
        )
        self.valid_before[model_key] = sum(row["valid"] == 1 for row in rows)
        self.entry_count[model_key] = len(entries)
        by_id = {row["external_id"]: row for row in rows if row["external_id"]}
        by_key = {row[key_field].lower(): row for row in rows}
        entries = sorted(entries, key=lambda entry: entry.normalized_dn[::-1])
        directory_ids = {entry.external_id for entry in entries if entry.external_id}
        matched, claimed = {}, set()
        # Pass 1: by identity. Pass 2: by key, for records whose entry is not in the directory
        # under its UUID any more (re-created entries, records from before the UUID was stored).
        for index, entry in enumerate(entries):
            row = by_id.get(entry.external_id) if entry.external_id else None
            if row is not None and row["pk"] not in claimed:
                matched[index] = row
                claimed.add(row["pk"])
        for index, entry in enumerate(entries):
            if index in matched:
                continue
            row = by_key.get(entry.values.get(key_field, "").lower())
            if row is not None and row["pk"] not in claimed and row["external_id"] not in directory_ids:
                matched[index] = row
                claimed.add(row["pk"])

        # Values the entries may not take: other sources' records, this source's vanished
        # records (they keep their key and name; their email stops counting once invalid)
        # and the records of skipped entries, which stay as they are.
        occupied = self.occupied_elsewhere(model, key_field, unique)
        unclaimed = [row for row in rows if row["pk"] not in claimed]
        for row in unclaimed:
            for name in (key_field, *unique):
                if name != "email":
                    occupied[name].add(str(row[name]).lower())
        cleaned = []
        for index, entry in enumerate(entries):
            row = matched.get(index)
            values, problems = clean_values(model_key, entry.values, self.default_country)
            problems = entry.problems + problems
            if not problems and resolve is not None:
                values["customer"], problem = resolve(entry)
                if problem:
                    problems.append(problem)
            if not problems:
                cleaned.append((entry, row, values))
                continue
            why = "; ".join(problems)
            if settings.SYNC_FAIL_ON_MALFORMED:
                raise SyncError(f"{self.source.label}: {entry.dn}: {why}")
            report.add(model_key, "skipped", entry.dn, why)
            if row is not None:
                for name in (key_field, *unique):
                    if name != "email" or row["valid"] == 1:
                        occupied[name].add(str(row[name]).lower())

        taken = {name: {} for name in (key_field, *unique)}  # lowered value -> DN of the entry that has it
        planned = []
        for entry, row, values in cleaned:
            conflict = self.conflict(model, key_field, unique, values, entry, occupied, taken)
            if conflict:
                if settings.SYNC_FAIL_ON_CONFLICT:
                    raise SyncError(f"{self.source.label}: {entry.dn}: {conflict}")
                report.add(model_key, "conflicts", entry.dn, conflict)
                continue
            for name in (key_field, *unique):
                if name != "email" or values.get("valid", 1) == 1:
                    taken[name][values.get(name, "").lower()] = entry.dn
            change = self.plan_entry(model_key, model, fields, entry, row, values)
            planned.append((entry, row, values, change))

        for row in unclaimed:
            if row["valid"] == 1:
                change = Change(
                    model_key,
                    "invalidated",
                    row["external_dn"],
                    {"valid": 2, "invalidated_by_sync": True},
                    pk=row["pk"],
                    changed=["valid"],
                    why=_("no longer in the directory"),
                )
                self.changes[model_key].append(change)
                report.add(model_key, "invalidated", row["external_dn"] or row[key_field], change.why)
        return planned

    def occupied_elsewhere(self, model, key_field, unique):
        """Lowered keys and unique values of the records of every other source."""
        occupied = {name: set() for name in (key_field, *unique)}
        others = model.objects.exclude(data_source=self.source.key)
        for name in (key_field, *unique):
            queryset = others.filter(valid=1) if name == "email" else others
            occupied[name] = {value.lower() for value in queryset.values_list(name, flat=True).iterator()}
        return occupied

    def conflict(self, model, key_field, unique, values, entry, occupied, taken):
        for name in (key_field, *unique):
            if name == "email" and values.get("valid", 1) != 1:
                continue
            value = values.get(name, "")
            lowered = value.lower()
            if lowered in occupied[name]:
                return _("%(field)s %(value)s belongs to a record of another data source") % {
                    "field": field_label(model, name),
                    "value": value,
                }
            if lowered in taken[name]:
                return _("%(field)s %(value)s is used by the entry %(dn)s too") % {
                    "field": field_label(model, name),
                    "value": value,
                    "dn": taken[name][lowered],
                }
        return ""

    def plan_entry(self, model_key, model, fields, entry, row, values):
        """The change for one clean entry (``None`` when its record is unchanged)."""
        wanted_valid = values.pop("valid", 1)
        written = {}
        for name in fields:
            if name == "customer_id" and model_key == "customer_users":
                # An existing customer's pk, or the Customer this sync creates.
                customer = values["customer"]
                written["customer_id" if isinstance(customer, int) else "customer"] = customer
                continue
            written[name] = values.get(name, "")
        if row is None:
            obj = model(
                data_source=self.source.key,
                external_id=entry.external_id,
                external_dn=entry.dn,
                valid=1 if wanted_valid == 1 else 2,
                invalidated_by_sync=wanted_valid != 1,
                **written,
            )
            change = Change(model_key, "created", entry.dn, {}, obj=obj)
            self.changes[model_key].append(change)
            self.report.add(model_key, "created", entry.dn)
            return change
        changed = []
        for name, value in written.items():
            if name == "customer" or row.get(name) != value:
                changed.append(name)
        update = {name: written[name] for name in changed}
        if row["external_dn"] != entry.dn:
            update["external_dn"] = entry.dn
            changed.append("external_dn")
        if row["external_id"] != entry.external_id:
            update["external_id"] = entry.external_id
        word, why = "updated", ""
        by_sync = row["invalidated_by_sync"]
        if row["valid"] == 1 and wanted_valid != 1:
            word, why = "invalidated", _("disabled in the directory")
            update.update(valid=2, invalidated_by_sync=True)
        elif row["valid"] != 1 and by_sync and wanted_valid == 1:
            word, why = "reactivated", _("back in the directory")
            update.update(valid=1, invalidated_by_sync=False)
        if not update:
            self.report.add(model_key, "unchanged")
            return None
        if word != "updated":
            changed.append("valid")
        change = Change(model_key, word, entry.dn, update, pk=row["pk"], changed=changed, why=why)
        self.changes[model_key].append(change)
        self.report.add(model_key, word, entry.dn, why if word != "updated" else "")
        return change

    # --- the guard ---

    def check(self, allow_mass_invalidation):
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
        now = timezone.now()
        total = sum(len(changes) for changes in self.changes.values())
        done = 0
        try:
            with transaction.atomic(), self.source.writing():
                for model_key in MODEL_KEYS:
                    model = model_of(model_key)
                    changes = self.changes[model_key]
                    new = [change.obj for change in changes if change.obj is not None]
                    for start in range(0, len(new), WRITE_BATCH):
                        model.objects.bulk_create(new[start : start + WRITE_BATCH])
                    updates = [change for change in changes if change.obj is None]
                    self.bulk_update(model, updates, now)
                    done += len(changes)
                    progress("write", done, total)
                    LogEntry.objects.bulk_create(self.history(model, changes, user), batch_size=WRITE_BATCH)
        except IntegrityError as error:
            raise SyncError(
                _("%(source)s: nothing was written, the database refused a change: %(error)s")
                % {"source": self.source.label, "error": error}
            ) from error

    def bulk_update(self, model, changes, now):
        """Group the updates by the fields they change, so that each statement writes only those."""
        groups = {}
        for change in changes:
            values = dict(change.values)
            if "customer" in values:
                values["customer_id"] = values.pop("customer").pk
            groups.setdefault(tuple(sorted(values)), []).append((change.pk, values))
        for names, items in groups.items():
            objs = []
            for pk, values in items:
                obj = model(pk=pk, data_source=self.source.key, **values)
                obj.changed_at = now
                objs.append(obj)
            for start in range(0, len(objs), WRITE_BATCH):
                model.objects.bulk_update(objs[start : start + WRITE_BATCH], [*names, "changed_at"])

    def history(self, model, changes, user):
        content_type = ContentType.objects.get_for_model(model)
        label = self.source.label
        entries = []
        for change in changes:
            obj = change.obj
            if obj is not None:
                flag, message = ADDITION, _("Added by sync of %(source)s.") % {"source": label}
                object_id, text = obj.pk, str(obj)
            else:
                flag = CHANGE
                fields = ", ".join(str(self.label(model, name)) for name in dict.fromkeys(change.changed))
                if change.word == "invalidated":
                    message = _("Set invalid by sync of %(source)s: %(why)s.") % {"source": label, "why": change.why}
                elif change.word == "reactivated":
                    message = _("Valid again by sync of %(source)s: %(why)s.") % {"source": label, "why": change.why}
                else:
                    message = _("Changed by sync of %(source)s: %(fields)s.") % {"source": label, "fields": fields}
                object_id, text = change.pk, change.dn
            entries.append(
                LogEntry(
                    user_id=user.pk,
                    content_type=content_type,
                    object_id=str(object_id),
                    object_repr=str(text)[:200],
                    action_flag=flag,
                    change_message=message,
                )
            )
        return entries

    @staticmethod
    def label(model, name):
        if name == "external_dn":
            return _("directory DN")
        if name == "customer_id" and model._meta.model_name == "customeruser":
            name = "customer"
        return field_label(model, name)
