"""What must move while a job writes: its progress, its sign of life and its Cancel.

A job's write is one transaction (all or nothing). On SQLite that transaction holds the only write
lock for as long as it runs, so neither the worker's progress nor a user's Cancel could be written
to the job's row meanwhile. They travel instead through two small files in the job storage: the
worker publishes ``progress.json`` (the counts and a time stamp, at most every ``PUBLISH_EVERY``
seconds, from a thread of its own, so that the stamp moves even during a long statement), and the
web marks a Cancel by storing ``cancel``. The job's row takes the final state once the write ended.
"""

import json
import threading
import time

from . import files

PUBLISH_EVERY = 1.0  # seconds
# The progress goes to two files in turn, each publication numbered: a storage replaces a file by
# deleting it and storing it again, so a read in between finds it missing or half written, but the
# other file then holds the publication before, whole. A reader takes the newest whole one.
PROGRESS_SLOTS = ("progress-0.json", "progress-1.json")
CANCEL = "cancel"


def read_progress(job):
    """The worker's last published progress ({"phase", "rows_read", ..., "beat", "sequence"}), or None."""
    newest = None
    for name in PROGRESS_SLOTS:
        data = files.read_file(files.job_file(job, name))
        try:
            progress = json.loads(data) if data else None
        except ValueError:
            progress = None
        if isinstance(progress, dict) and (newest is None or progress.get("sequence", 0) > newest.get("sequence", 0)):
            newest = progress
    return newest


def request_cancel(job):
    files.save_file(job, CANCEL, b"1")


def cancel_requested(job):
    return files.job_storage().exists(files.job_file(job, CANCEL))


class JobCancelled(Exception):
    """Raised inside the job's work when its Cancel was seen; the write's transaction rolls back."""


class Reporter:
    """The progress callback a job's work calls (``progress(phase, done, total)``, as the import
    engine, the exports and the sync call theirs), and the thread that publishes it.

    The callback itself only notes the counts and raises ``JobCancelled`` once a Cancel was seen;
    the thread does the storage's input and output.
    """

    # The engines' phase names -> the job's counters.
    COUNTERS = {"read": "rows_read", "check": "rows_checked", "write": "rows_written", "export": "rows_written"}

    def __init__(self, job):
        self.job = job
        # rows_total: the rows of the file or export; to_write: the records the write will create or change.
        self.state = {
            "phase": "",
            "rows_read": 0,
            "rows_checked": 0,
            "rows_written": 0,
            "rows_total": None,
            "to_write": None,
        }
        self.cancelled = False
        self.sequence = 0  # publications so far (only one thread publishes at a time: see __enter__, __exit__)
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.publish_loop, name=f"job-{job.pk}-progress", daemon=True)

    def __enter__(self):
        self.publish()
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()
        self.publish()

    def __call__(self, phase, done, total=None):
        if self.cancelled:
            raise JobCancelled
        with self.lock:
            self.state["phase"] = phase
            counter = self.COUNTERS.get(phase)
            if counter:
                self.state[counter] = done
                if phase == "check":
                    self.state["rows_read"] = max(self.state["rows_read"], done)
            if total is not None:
                self.state["to_write" if phase == "write" else "rows_total"] = total

    def snapshot(self):
        with self.lock:
            return dict(self.state)

    def publish(self):
        self.sequence += 1
        progress = {**self.snapshot(), "beat": time.time(), "sequence": self.sequence}
        try:
            files.save_file(self.job, PROGRESS_SLOTS[self.sequence % 2], json.dumps(progress).encode())
        except OSError:
            pass  # a missed publication is made up by the next

    def publish_loop(self):
        while not self.stopped.wait(PUBLISH_EVERY):
            self.publish()
            try:
                if cancel_requested(self.job):
                    self.cancelled = True
            except OSError:
                pass
