"""How fast, and in how much memory, hostile import files are refused.

    python bench/hostile_files.py                     # this checkout
    python bench/hostile_files.py --root ../other-checkout   # another checkout's code (the "before")
    python bench/hostile_files.py --timeout 30        # give up on a file after 30 s

Each file is small compressed and huge unpacked (or, for JSON, small and nested);
each is read by the XLSX or JSON format, as the admin and the commands read
uploads, in a child process of its own, beside a child that reads a small valid
workbook (the "empty import"). For each it prints the seconds of reading, the
peak memory (max RSS) of the child and what the reader said. The goal: every file
refused within 5 s and with at most 200 MB more than the empty import. A child
still reading after ``--timeout`` seconds is stopped and shown as ``>N s`` with
the memory it had reached.
"""

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import django
from django.conf import settings
settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
django.setup()
from otrs_customer_admin.importexport.formats import format_for
data = open(sys.argv[2], "rb").read()
started = time.perf_counter()
try:
    dataset = format_for(sys.argv[3]).create_dataset(data)
    outcome = f"read: {dataset.height} rows"
except Exception as error:
    outcome = f"{type(error).__name__}: {error}"
seconds = time.perf_counter() - started
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"seconds": seconds, "peak_kb": int(peak), "outcome": outcome[:160]}))
"""


def workbook(sheet, strings=None):
    """An .xlsx whose first sheet is ``sheet`` and shared strings ``strings`` (both iterables of bytes)."""
    import openpyxl

    book = openpyxl.Workbook()
    template = io.BytesIO()
    book.save(template)
    source = zipfile.ZipFile(template)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and strings is not None:
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, content)
        write_part(archive, "xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            write_part(archive, "xl/sharedStrings.xml", strings)
    return out.getvalue()


def write_part(archive, name, chunks):
    with archive.open(name, "w", force_zip64=True) as part:
        for chunk in chunks:
            part.write(chunk)


def sheet(rows):
    yield b'<worksheet xmlns="' + MAIN_NS + b'"><sheetData>'
    yield from rows
    yield b"</sheetData></worksheet>"


def shared_strings(count):
    """An .xlsx with ``count`` shared strings (a header row using the first)."""

    def strings():
        yield b'<sst xmlns="' + MAIN_NS + b'">'
        batch = b"<si><t>x</t></si>" * 100_000
        for _ in range(count // 100_000):
            yield batch
        yield b"</sst>"

    return workbook(sheet([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>']), strings())


def huge_cell(megabytes):
    """An .xlsx whose one shared string, the header, is ``megabytes`` MB long."""

    def strings():
        yield b'<sst xmlns="' + MAIN_NS + b'"><si><t>'
        for _ in range(megabytes):
            yield b"a" * 1_000_000
        yield b"</t></si></sst>"

    return workbook(sheet([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>']), strings())


def wide_row(cells):
    """An .xlsx whose first row has ``cells`` number cells."""

    def row():
        yield b'<row r="1">'
        for _ in range(cells // 10_000):
            yield b"<c><v>1</v></c>" * 10_000
        yield b"</row>"

    return workbook(sheet(row()))


def empty_cells(rows):
    """An .xlsx of ``rows`` rows of 16,384 empty cells each (a header cell in the first)."""

    def cells():
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
        for number in range(2, rows + 2):
            yield b'<row r="%d">' % number + b"<c/>" * 16_384 + b"</row>"

    return workbook(sheet(cells()))


def many_styles(count):
    """A valid workbook whose styles part holds ``count`` more cell formats."""
    data = empty_import()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                content = content.replace(b'<cellXfs count="1">', b'<cellXfs count="1">' + xf * count)
            archive.writestr(info.filename, content)
    return out.getvalue()


def empty_import():
    """A valid workbook: a header and one row."""
    rows = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>']
    rows.append(b'<row r="2"><c r="A2" t="inlineStr"><is><t>Acme</t></is></c></row>')
    return workbook(sheet(rows))


def nested_json(depth):
    return b"[" * depth + b"]" * depth


def long_number_json(digits):
    return b'[{"name": "Acme", "zip": ' + b"9" * digits + b"}]"


FILES = [
    ("empty import (header and one row)", "xlsx", empty_import),
    ("20,000,000 shared strings", "xlsx", lambda: shared_strings(20_000_000)),
    ("one cell of 300 MB", "xlsx", lambda: huge_cell(300)),
    ("one row of 1,000,000 cells", "xlsx", lambda: wide_row(1_000_000)),
    # Within the unpacked size limit, so the scan's other limits refuse them:
    ("2,500,000 shared strings (42 MB)", "xlsx", lambda: shared_strings(2_500_000)),
    ("one cell of 200 MB", "xlsx", lambda: huge_cell(200)),
    ("1,000 rows of 16,384 empty cells (64 MB)", "xlsx", lambda: empty_cells(1_000)),
    ("250,000 cell formats (15 MB of styles)", "xlsx", lambda: many_styles(250_000)),
    ("125,000 cell formats (7.8 MB, within)", "xlsx", lambda: many_styles(125_000)),
    ("JSON: 200,000 nested [", "json", lambda: nested_json(200_000)),
    ("JSON: a number of 100,000 digits", "json", lambda: long_number_json(100_000)),
]


def peak_kb(pid):
    """The child's peak resident memory so far (VmHWM), in KB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(root, path, name, timeout):
    """(seconds or None, peak MB, outcome) of reading ``path`` in a child process."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(path), name], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + timeout + 10  # the child's start-up is not counted against it
    peak = 0
    while child.poll() is None and time.monotonic() < deadline:
        peak = max(peak, peak_kb(child.pid))
        time.sleep(0.05)
    if child.poll() is None:
        peak = max(peak, peak_kb(child.pid))
        child.kill()
        child.wait()
        return None, peak / 1024, f"still reading after {timeout} s"
    result = json.loads(child.stdout.read())
    return result["seconds"], max(peak, result["peak_kb"]) / 1024, result["outcome"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose otrs_customer_admin reads the files")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a child is stopped")
    parser.add_argument("--only", default="", help="only the files whose label contains this (and the empty import)")
    args = parser.parse_args()
    out = sys.stdout
    out.write(f"code: {args.root}\n")
    out.write(f"{'file':40} {'compressed':>11} {'seconds':>9} {'peak MB':>8} {'vs empty':>9}  outcome\n")
    baseline = None
    with tempfile.TemporaryDirectory() as directory:
        for label, file_format, build in FILES:
            if baseline is not None and args.only not in label:
                continue
            data = build()
            path = Path(directory) / f"file.{file_format}"
            path.write_bytes(data)
            seconds, peak, outcome = measure(args.root, path, file_format, args.timeout)
            if baseline is None:
                baseline = peak
            shown = f">{args.timeout:.0f}" if seconds is None else f"{seconds:.2f}"
            more = f"{'>' if seconds is None else ''}{peak - baseline:+.0f}"
            out.write(f"{label:40} {len(data) / 1024:>8.0f} KB {shown:>9} {peak:>8.0f} {more:>9}  {outcome}\n")
            out.flush()


if __name__ == "__main__":
    main()
