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
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import settings
from ..datasources import MassInvalidation, SyncAlreadyRunning, SyncError
from ..datasources.base import Check
from ..models import SyncRun
from .plan import MODEL_KEYS, Plan, default_country_of, dynamic_mapping, entry_problems

WORDS = ("created", "updated", "unchanged", "invalidated", "reactivated", "skipped", "conflicts")
HEARTBEAT_EVERY = 30  # seconds
DETAILS_SHOWN = 20
# Which details a SyncRun keeps, and how many of each (the command prints DETAILS_SHOWN of every kind).
DETAILS_KEPT = ("skipped", "conflicts")
# The details key of what is wrong with the source's configuration rather than with an entry
# (a map naming a dynamic field that has no valid definition): [{"model": …, "why": …}].
PROBLEMS = "problems"


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
    # (model key, why) for what is wrong with the source's maps; the sync goes on without that part.
    problems: list = field(default_factory=list)
    entries: int = 0
    seconds: float = 0.0
    run: object = None

    def add(self, model_key, word, dn="", why=""):
        self.counts[model_key][word] += 1
        if why or word in ("invalidated", "reactivated"):
            self.details.setdefault(word, []).append((model_key, dn, why))

    def problem(self, model_key, why):
        self.problems.append((model_key, why))

    def total(self, word):
        return sum(counts[word] for counts in self.counts.values())

    def short_summary(self):
        """``Customers: 3 created, 1 updated; Customer users: …``, leaving out the zeros."""
        return counts_text(self.counts)

    def summary_lines(self):
        """One line per model: ``Customers: 3 created, 1 updated, …``."""
        labels, names = word_labels(), model_labels()
        return [
            f"{names[key]}: " + ", ".join(f"{self.counts[key][word]} {labels[word]}" for word in WORDS)
            for key in MODEL_KEYS
        ]


def model_labels():
    return {"customers": _("Customers"), "customer_users": _("Customer users")}


def counts_text(counts):
    labels, names = word_labels(), model_labels()
    parts = []
    for model_key in MODEL_KEYS:
        model_counts = counts.get(model_key, {})
        found = [f"{model_counts[word]} {labels[word]}" for word in WORDS if model_counts.get(word)]
        if found:
            parts.append(f"{names[model_key]}: {', '.join(found)}")
    return "; ".join(parts) or _("nothing counted")


# --- the lock and the record of each run -------------------------------------------------


def start_run(source, *, dry_run, user):
    """A new ``SyncRun``; for a real run it is the source's lock (``SyncAlreadyRunning`` if taken)."""
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
        where = _("%(host)s, process %(pid)s") % {"host": running.host, "pid": running.pid} if running else "?"
        raise SyncAlreadyRunning(
            _("%(source)s: a sync is already running (started %(since)s on %(where)s); try again when it has finished.")
            % {"source": source.label, "since": since, "where": where}
        ) from None


def release_abandoned_runs(source):
    """Mark runs that are gone as abandoned, freeing the lock: silent for ``SYNC_STALE_AFTER``, or
    started by a process of this host that has ended and silent for longer than its heartbeat."""
    host = socket.gethostname()[:255]
    now = timezone.now()
    silent = now - timedelta(seconds=3 * HEARTBEAT_EVERY)
    for run in SyncRun.objects.filter(source=source.key, outcome=SyncRun.Outcome.RUNNING, dry_run=False):
        ended_here = run.host == host and run.pid and not process_alive(run.pid) and run.heartbeat_at < silent
        if run.heartbeat_at < now - settings.SYNC_STALE_AFTER or ended_here:
            run.outcome = SyncRun.Outcome.ABANDONED
            run.finished_at = now
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


def kept_details(report):
    """The first ``DETAILS_SHOWN`` skipped entries and conflicts of ``report`` with their DN and reason,
    as a ``SyncRun`` keeps them; a NUL (which PostgreSQL's JSON cannot store) shown as U+2400."""

    def text(value):
        return str(value).replace("\x00", "\N{SYMBOL FOR NULL}")

    kept = {
        word: [{"model": key, "dn": text(dn), "why": text(why)} for key, dn, why in entries[:DETAILS_SHOWN]]
        for word in DETAILS_KEPT
        if (entries := report.details.get(word))
    }
    if report.problems:
        kept[PROBLEMS] = [{"model": key, "why": text(why)} for key, why in report.problems]
    return kept


def finish_run(run, report, outcome, message):
    """Record how the run ended; a failed run wrote nothing, so it keeps no counts."""
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.counts = report.counts if outcome != SyncRun.Outcome.FAILED else {}
    run.details = kept_details(report) if outcome != SyncRun.Outcome.FAILED else {}
    run.message = message
    run.save(update_fields=["outcome", "finished_at", "counts", "details", "message"])


class Heartbeat:
    """Shows that a run is alive: updates its ``heartbeat_at`` every ``HEARTBEAT_EVERY`` seconds from a
    thread of its own (its own database connection, so the beat is seen while the sync's transaction runs)."""

    def __init__(self, run):
        self.run = run
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"sync-heartbeat-{run.pk}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()

    def beat(self):
        try:
            while not self.stopped.wait(HEARTBEAT_EVERY):
                try:
                    SyncRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    continue  # a missed beat (a locked SQLite file, say) is made up by the next
        finally:
            connection.close()


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
    started = time.monotonic()
    report = SyncReport(source=source, dry_run=dry_run)
    run = start_run(source, dry_run=dry_run, user=user)
    report.run = run
    progress = progress or (lambda phase, done, total: None)
    try:
        with Heartbeat(run):
            read = source.read(progress)
            report.entries = len(read.customers) + len(read.customer_users)
            plan = Plan(source, report)
            plan.customers(read.customers)
            plan.customer_users(read.customer_users)
            plan.check(allow_mass_invalidation)
            if not dry_run:
                plan.write(history_user(user), progress)
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


def check_connection(source):
    """The source's Test connection (a ``ConnectionReport``), its first entries checked as the sync
    would check them: the problems listed for an entry are those that would make the sync skip it.
    A map naming a dynamic field that has no valid definition is a failed check."""
    default_country = default_country_of(source)
    mapped, problems = {}, []
    for model_key in source.searched_models():
        mapped[model_key], found = dynamic_mapping(source, model_key)
        problems += found

    def problems_of(model_key, values, dynamic=None):
        return entry_problems(model_key, values, default_country, mapped.get(model_key), dynamic)

    report = source.test_connection(entry_problems=problems_of)
    report.checks += [Check(_("Dynamic fields"), False, problem) for problem in problems]
    return report
