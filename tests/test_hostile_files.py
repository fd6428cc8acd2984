"""Hostile import files: small to upload, huge or deep to read. Each is refused with a sentence
that names the limit (and its line where there is one), by the readers, the admin and the commands.

The workbooks are built here, part by part, as an attacker would: an .xlsx is a ZIP archive of
XML parts, so a few kilobytes can unpack to megabytes. The limits are lowered with
``override_settings`` where a file at the default limit would take long to build; the time and
memory of refusing the full-size files are measured in bench/hostile_files.py.
"""

import io
import json
import os
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from otrs_customer_admin.importexport.formats import FileProblem, format_for
from otrs_customer_admin.models import Customer
from tests import harness
from tests.test_admin_import_export import confirm_fields, counts, form_errors, upload

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    b"http://schemas.openxmlformats.org/drawingml/2006/main": b"http://purl.oclc.org/ooxml/drawingml/main",
}
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
TOO_LONG = "A value is longer than 131072 characters, more than any field can take. Shorten it."
DAMAGED = (
    "The Excel file is damaged or uses a feature that cannot be read. "
    "Open it in Excel or LibreOffice and save it again as Excel Workbook (.xlsx)."
)
SPLIT = "Split it into smaller files, or save it as CSV UTF-8 and import that."


def workbook(rows, strings=None, prefix=b"", doctype=b"", root=b"worksheet", compression=zipfile.ZIP_DEFLATED):
    """An .xlsx whose first sheet holds ``rows`` (XML of <row>s) and shared strings ``strings`` (XML of <si>s).

    The other parts are openpyxl's own; the sheet and the shared strings are written as given,
    the sheet's elements with the namespace ``prefix`` (``b"x:"``) if one is given.
    """
    book = openpyxl.Workbook()
    template = io.BytesIO()
    book.save(template)
    source = zipfile.ZipFile(template)
    declaration = b"xmlns:" + prefix[:-1] if prefix else b"xmlns"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and strings is not None:
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, content)
        sheet = b'%s<%sworksheet %s="%s"><%ssheetData>%s</%ssheetData></%sworksheet>' % (
            doctype,
            prefix,
            declaration,
            MAIN,
            prefix,
            rows,
            prefix,
            prefix,
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet, compress_type=compression)
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", b'<sst xmlns="' + MAIN + b'">' + strings + b"</sst>")
    return out.getvalue()


def inline(text):
    return b'<c t="inlineStr"><is><t>' + text + b"</t></is></c>"


def header_and(*rows):
    """Row 1 the header name / city; the rows given after it (XML of cells)."""
    header = b'<row r="1">' + inline(b"name") + inline(b"city") + b"</row>"
    return header + b"".join(b'<row r="%d">%s</row>' % (number, cells) for number, cells in enumerate(rows, start=2))


def refusal(data, name="file.xlsx"):
    with pytest.raises(FileProblem) as raised:
        format_for(name).create_dataset(data)
    return str(raised.value)


# ---------------------------------------------------------------------------
# Spreadsheet bombs, through the reader
# ---------------------------------------------------------------------------


def test_a_workbook_within_the_limits_is_read():
    data = workbook(header_and(inline(b"Acme") + inline(b"Berlin")), strings=b"<si><t>unused</t></si>")
    assert list(format_for("xlsx").create_dataset(data)) == [(2, "Acme", "Berlin")]


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_CELLS": 1000})
def test_more_shared_strings_than_the_limit_are_refused_before_openpyxl_keeps_them():
    strings = b"<si><t>x</t></si>" * 1001
    assert refusal(workbook(header_and(), strings)) == f"The workbook holds more than 1000 different texts. {SPLIT}"
    assert format_for("xlsx").create_dataset(workbook(header_and(), b"<si><t>x</t></si>" * 1000)).height == 0


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_CELLS": 1000})
def test_more_cells_than_the_limit_are_refused_empty_ones_too():
    rows = header_and(*[b"<c/>" * 100] * 10)  # 2 + 1000 cells
    assert refusal(workbook(rows)) == (
        f"The first sheet has more than 1000 cells (formatted empty cells count too). {SPLIT}"
    )


def test_a_row_wider_than_excel_allows_is_refused_with_its_line():
    rows = header_and(inline(b"Acme") + b"<c><v>1</v></c>" * 16_384)
    assert refusal(workbook(rows)) == "Line 2: This row has more than 16384 cells, more than Excel allows."


def test_cells_written_with_a_namespace_prefix_count_too():
    rows = b"<x:row><x:c><x:v>1</x:v></x:c></x:row><x:row>" + b"<x:c/>" * 16_385 + b"</x:row>"
    assert (
        refusal(workbook(rows, prefix=b"x:")) == "Line 2: This row has more than 16384 cells, more than Excel allows."
    )
    assert list(format_for("xlsx").create_dataset(workbook(rows.replace(b"<x:c/>", b""), prefix=b"x:"))) == []


def test_a_sheet_under_another_root_element_is_scanned_as_a_sheet():
    # openpyxl finds rows under any root; the workbook's relationships, not the root, make it a sheet.
    rows = header_and(inline(b"Acme") + b"<c><v>1</v></c>" * 16_384)
    assert refusal(workbook(rows, root=b"notasheet")) == (
        "Line 2: This row has more than 16384 cells, more than Excel allows."
    )


def test_a_value_longer_than_the_csv_limit_is_refused_with_its_cell():
    rows = header_and(inline(b"Acme") + inline(b"a" * 131_073))
    assert refusal(workbook(rows)) == f"Line 2, city: {TOO_LONG}"
    assert format_for("xlsx").create_dataset(workbook(header_and(inline(b"a") + inline(b"a" * 131_072)))).height == 1


def test_a_cell_of_megabytes_is_refused_before_it_is_parsed():
    huge = b"a" * 3_000_000
    assert refusal(workbook(header_and(inline(huge)))) == f"Line 2: {TOO_LONG}"
    shared = workbook(header_and(b'<c t="s"><v>0</v></c>'), strings=b"<si><t>" + huge + b"</t></si>")
    assert refusal(shared) == TOO_LONG


def test_a_row_of_megabytes_is_refused():
    cell = inline(b"a" * 100_000)
    assert refusal(workbook(header_and(cell * 50))) == (
        "Line 2: This row unpacks to more than 4.0\xa0MB, more than a row of customer data can take."
    )


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_UNPACKED_SIZE": 1024 * 1024})
def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused():
    message = f"The Excel file unpacks to more than 1.0\xa0MB. {SPLIT}"
    # The zip directory says so: refused before anything is unpacked.
    rows = header_and(*[inline(b"a" * 1000) + inline(b"b")] * 1100)
    assert refusal(workbook(rows)) == message
    # Each part is below the limit, together they are not: counted while unpacking.
    half = header_and(*[b'<c t="s"><v>0</v></c>' + inline(b"b" * 1000)] * 600)
    assert refusal(workbook(half, strings=(b"<si><t>" + b"a" * 100_000 + b"</t></si>") * 6)) == message


def lie_about_size(data, name, size):
    """The archive with the unpacked size of ``name`` given as ``size`` in its directory and local header."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    data = bytearray(data)
    data[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_length] == name.encode():
            data[central + 24 : central + 28] = size.to_bytes(4, "little")
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_zip_directory_that_lies_about_a_size_is_refused_as_damaged():
    rows = header_and(*[inline(b"Acme") + inline(b"Berlin")] * 100_000)
    data = lie_about_size(workbook(rows), "xl/worksheets/sheet1.xml", 1000)
    assert refusal(data) == "The Excel file is damaged and cannot be read. Open it in Excel and save it again."


def test_an_xml_entity_declaration_is_refused():
    doctype = b'<!DOCTYPE worksheet [<!ENTITY a "Acme Acme Acme">]>'
    data = workbook(header_and(inline(b"&a;") + inline(b"Berlin")), doctype=doctype)
    assert refusal(data) == DAMAGED


def test_a_styles_part_bigger_than_excel_writes_is_refused():
    data = workbook(header_and(inline(b"Acme") + inline(b"Berlin")))
    styles = zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml")
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                content = styles.replace(b'<cellXfs count="1">', b'<cellXfs count="1">' + xf * 140_000)
            archive.writestr(info.filename, content)
    assert refusal(out.getvalue()) == DAMAGED


def test_parts_compressed_other_than_excel_does_are_refused():
    data = workbook(header_and(inline(b"Acme") + inline(b"Berlin")), compression=zipfile.ZIP_BZIP2)
    assert refusal(data) == DAMAGED


def test_a_zip_of_thousands_of_parts_is_refused():
    data = workbook(header_and(inline(b"Acme") + inline(b"Berlin")))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for number in range(10_001):
            archive.writestr(f"x/{number}", b"")
    assert refusal(out.getvalue()) == DAMAGED


# ---------------------------------------------------------------------------
# Strict Open XML
# ---------------------------------------------------------------------------


def strict(data):
    """The workbook saved as Strict Open XML: the same parts in the Strict namespaces."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            for transitional, strict_namespace in STRICT.items():
                content = content.replace(transitional, strict_namespace)
            archive.writestr(info.filename, content)
    return out.getvalue()


def test_a_strict_open_xml_workbook_is_read():
    book = openpyxl.Workbook()
    for row in [["CustomerID", "Name", "City"], ["ACME", "Acme", "Berlin"], ["GLOBEX", "Globex", 42]]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = strict(buffer.getvalue())
    assert b"purl.oclc.org" in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    dataset = format_for("xlsx").create_dataset(data)
    assert dataset.headers[1:] == ["CustomerID", "Name", "City"]
    assert list(dataset) == [(2, "ACME", "Acme", "Berlin"), (3, "GLOBEX", "Globex", "42")]


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------

NESTED = (
    "Lists and objects are nested here more than 20 levels deep. "
    "A JSON file to import is a list of records with plain values."
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 200_000 + b"]" * 200_000, f"Line 1: {NESTED}"),
        (b'[{"name": "Acme"},\n {"name": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}]", f"Line 2: {NESTED}"),
        (b'{"a": ' * 100_000, f"Line 1: {NESTED}"),
        (
            b'[{"name": "Acme",\n  "zip": ' + b"9" * 100_000 + b"}]",
            "Line 1: The number 99999999999999999999… is too long or too large to be read "
            "(at most 100 characters). Put it in quotes if it is text.",
        ),
        (
            b'[{"name": "Acme"},\n {"name": "Globex", "zip": 1e400}]',
            "Line 2: The number 1e400 is too long or too large to be read (at most 100 characters). "
            "Put it in quotes if it is text.",
        ),
        (
            b'[{"name": NaN}]',
            "Line 1: NaN is not a value JSON allows. Put it in quotes if it is text, or write null for no value.",
        ),
        (
            b'[{"name": "Acme", "zip": Infinity}]',
            "Line 1: Infinity is not a value JSON allows. Put it in quotes if it is text, or write null for no value.",
        ),
        (
            b'[{"name": "Acme", "zip": -Infinity}]',
            "Line 1: -Infinity is not a value JSON allows. Put it in quotes if it is text, or write null for no value.",
        ),
        (
            b'[{"name": "Acme"},\n {"name": "Globex", "city": "Berlin", "name": "Initech"}]',
            'Line 2, name: The field "name" appears twice in this record. Keep one of them.',
        ),
    ],
    ids=[
        "nested-lists",
        "nested-in-a-record",
        "nested-objects",
        "long-number",
        "huge-number",
        "nan",
        "inf",
        "-inf",
        "duplicate",
    ],
)
def test_hostile_json_is_refused_with_its_line(data, message):
    assert refusal(data, "file.json") == message


def test_json_nesting_within_the_limit_names_the_field():
    data = b'[{"name": "Acme", "city": ' + b"[" * 19 + b"]" * 19 + b"}]"
    assert refusal(data, "file.json").startswith("Line 1, city: Lists and objects inside a record are not imported.")


def test_json_brackets_and_braces_inside_texts_are_plain_text():
    data = json.dumps([{"name": "Acme } {[", "city": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]).encode()
    assert list(format_for("json").create_dataset(data)) == [(1, "Acme } {[", "[" * 44)]


# ---------------------------------------------------------------------------
# Through the admin and the commands
# ---------------------------------------------------------------------------

# name -> (build the file, its name, the refusal); the shared-strings limit is lowered to 1,000.
BOMBS = {
    "shared-strings": (
        lambda: workbook(header_and(), b"<si><t>x</t></si>" * 1001),
        "customers.xlsx",
        f"The workbook holds more than 1000 different texts. {SPLIT}",
    ),
    "huge-cell": (
        lambda: workbook(header_and(b'<c t="s"><v>0</v></c>'), strings=b"<si><t>" + b"a" * 3_000_000 + b"</t></si>"),
        "customers.xlsx",
        TOO_LONG,
    ),
    "wide-row": (
        lambda: workbook(header_and(b"<c><v>1</v></c>" * 16_385)),
        "customers.xlsx",
        "Line 2: This row has more than 16384 cells, more than Excel allows.",
    ),
    "nested-json": (lambda: b"[" * 200_000 + b"]" * 200_000, "customers.json", f"Line 1: {NESTED}"),
    "nan-json": (
        lambda: b'[{"CustomerID": "ACME", "Name": NaN, "Country": "DE"}]',
        "customers.json",
        "Line 1: NaN is not a value JSON allows. Put it in quotes if it is text, or write null for no value.",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("bomb", BOMBS)
def test_the_admin_refuses_a_hostile_file_with_its_sentence(admin_client, bomb, settings):
    build, name, message = BOMBS[bomb]
    if bomb == "shared-strings":
        settings.OTRS_CUSTOMER_ADMIN = {"IMPORT_MAX_CELLS": 1000}
    response = upload(admin_client, build(), name)
    assert response.status_code == 200
    assert form_errors(response) == [message]
    assert confirm_fields(response) is None
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_the_admin_imports_a_strict_open_xml_workbook(admin_client):
    book = openpyxl.Workbook()
    for row in [["CustomerID", "Name", "Country"], ["ACME", "Acme", "DE"]]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    assert counts(upload(admin_client, strict(buffer.getvalue()), "customers.xlsx")) == (1, 1, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("bomb", BOMBS)
def test_the_command_refuses_a_hostile_file_with_its_sentence(tmp_path, bomb, settings):
    build, name, message = BOMBS[bomb]
    if bomb == "shared-strings":
        settings.OTRS_CUSTOMER_ADMIN = {"IMPORT_MAX_CELLS": 1000}
    path = tmp_path / name
    path.write_bytes(build())
    with pytest.raises(CommandError) as raised:
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert str(raised.value) == message
    assert not Customer.objects.exists()


@pytest.mark.parametrize("bomb", ["wide-row", "nested-json"])
def test_manage_py_exits_1_with_one_sentence_and_no_traceback(tmp_path, bomb):
    build, name, message = BOMBS[bomb]
    path = tmp_path / name
    path.write_bytes(build())
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}"}
    env["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    result = subprocess.run(
        [sys.executable, harness.REPO_ROOT / "example_project" / "manage.py", "import_customers", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"CommandError: {message}\n")
