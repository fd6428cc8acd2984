"""The progress of the long commands (import, sync, demo data) on a terminal: one ``Progress``,
called as ``progress(phase, done, total=None)``; the commands' own output is in their modules."""

import os

from django.core.management.base import OutputWrapper

from otrs_customer_admin.management.progress import Progress


def on_a_terminal(calls, unit, **options):
    """What a real terminal (a pseudo-terminal) receives for ``calls``."""
    leader, follower = os.openpty()
    try:
        with open(follower, "w", encoding="utf-8") as terminal:  # closes the follower: the leader reads to its end
            progress = Progress(OutputWrapper(terminal), unit, **options)
            assert progress.tty
            for call in calls:
                progress(*call)
        # One read may return only part of what was written: read until the closed follower's end
        # (Linux answers EIO there, other systems an empty read).
        received = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    finally:
        os.close(leader)
    return received.decode().replace("\r\n", "\n")


def test_a_count_without_a_total_then_a_bar_once_the_total_is_known():
    # The sync reading a directory: it knows the total only at the end.
    output = on_a_terminal(
        [("customers", 500), ("customers", 1000, None), ("customers", 1200, 1200)],
        "entries",
        lines_off_a_terminal=False,
    )
    updates = output.split("\r")[1:]
    assert updates[0].startswith("      customers: 500 entries, ") and updates[0].endswith(" entries/s")
    assert updates[1].startswith("      customers: 1,000 entries, ")
    # Done: the full bar, and a newline so the next phase starts on a line of its own.
    assert updates[2].startswith("      customers [##############################] 1,200/1,200 entries, ")
    assert updates[2].endswith(" entries/s\n")
    assert "\x1b[" not in output


def test_silent_off_a_terminal_when_asked(tmp_path):
    # The sync from cron: its mail holds the report, not the progress.
    with open(tmp_path / "log", "w", encoding="utf-8") as log:
        progress = Progress(OutputWrapper(log), "entries", lines_off_a_terminal=False)
        progress("customers", 10)
        progress("write", 10, 10)
    assert (tmp_path / "log").read_text() == ""
