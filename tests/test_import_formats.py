"""Reading and writing import files: real bytes as Excel, LibreOffice, OTRS and Zammad write them."""

import codecs
import csv
import datetime
import io
import json
import pickle
import zipfile

import openpyxl
import pytest
import tablib
from import_export.formats import base_formats
from openpyxl.styles import Font

from otrs_customer_admin.importexport import formats
from otrs_customer_admin.importexport.formats import (
    CSV,
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    JSON,
    LINE_COLUMN,
    TSV,
    XLSX,
    FileProblem,
    format_for,
    neutralise_formula,
    restore_neutralised,
)
from otrs_customer_admin.importexport.formats import csv as csv_module
from otrs_customer_admin.importexport.formats import text as text_module

HEADERS = ["CustomerID", "Name", "Street", "City", "Comment"]


def rows_of(dataset):
    return [tuple(row) for row in dataset]


def read(format_class, path, **kwargs):
    return format_class().create_dataset(path.read_bytes(), **kwargs)


def problem_of(format_class, data, **kwargs):
    with pytest.raises(FileProblem) as caught:
        format_class().create_dataset(data, **kwargs)
    return caught.value


# --- CSV as spreadsheets write it ------------------------------------------------------------


def test_excel_csv_semicolon_bom_crlf_with_embedded_newlines_and_quotes(tmp_path):
    # Excel's "CSV UTF-8 (Comma delimited)" with German regional settings: exactly these bytes.
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbfCustomerID;Name;Street;City;Comment\r\n"
        b'ACME;"Acme ""Rockets"" GmbH";Hauptstr. 1;Berlin;"first line\r\nsecond line"\r\n'
        b"\r\n"
        b'BETA;Beta AG;"Ring 2; Hof";M\xc3\xbcnchen;\r\n'
        b'GAMMA;"Gamma; Delta";;K\xc3\xb6ln;"a\r\nb\r\nc"\r\n'
        b"OMEGA;Omega;Weg 3;Bonn;end\r\n"
    )

    dataset = read(CSV, path)

    assert dataset.headers == [LINE_COLUMN, *HEADERS]
    assert rows_of(dataset) == [
        (2, "ACME", 'Acme "Rockets" GmbH', "Hauptstr. 1", "Berlin", "first line\r\nsecond line"),
        (5, "BETA", "Beta AG", "Ring 2; Hof", "München", ""),
        (6, "GAMMA", "Gamma; Delta", "", "Köln", "a\r\nb\r\nc"),
        (9, "OMEGA", "Omega", "Weg 3", "Bonn", "end"),
    ]


def test_libreoffice_csv_comma_lf_without_bom(tmp_path):
    path = tmp_path / "libreoffice.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerow(["ACME", "Acme, Inc.", "1 Main St", "Springfield", 'He said "hi"\nand left'])
        writer.writerow(["BETA", "Beta", "", "Zürich", ""])

    dataset = read(CSV, path)

    assert dataset.headers == [LINE_COLUMN, *HEADERS]
    assert rows_of(dataset) == [
        (2, "ACME", "Acme, Inc.", "1 Main St", "Springfield", 'He said "hi"\nand left'),
        (4, "BETA", "Beta", "", "Zürich", ""),
    ]


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_line_numbers_count_blank_lines_and_embedded_newlines(line_end):
    text = line_end.join(["a,b", "", "1,x", '2,"multi', "line", 'value"', "", "", "3,y", ""])
    dataset = CSV().create_dataset(text.encode("utf-8"))
    assert [row[0] for row in dataset] == [3, 4, 9]
    assert dataset[1][2] == f"multi{line_end}line{line_end}value"


def test_leading_blank_lines_before_the_header_keep_file_lines():
    dataset = CSV().create_dataset(b"\r\n \t \r\nCustomerID;Name\r\nA;Alpha, Inc.\r\n")
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name"]
    assert rows_of(dataset) == [(4, "A", "Alpha, Inc.")]


def test_utf16_le_with_bom_tab_separated_as_excel_unicode_text(tmp_path):
    path = tmp_path / "unicode.txt"
    text = 'CustomerID\tName\tComment\r\nACME\tMüller & Söhne\t"tab\there"\r\nBETA\t東京\t\r\n'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    for format_class in (CSV, TSV):
        dataset = read(format_class, path)
        assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name", "Comment"]
        assert rows_of(dataset) == [(2, "ACME", "Müller & Söhne", "tab\there"), (3, "BETA", "東京", "")]


def test_utf16_be_with_bom(tmp_path):
    path = tmp_path / "be.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + "CustomerID;Name\r\nA;Ärger\r\n".encode("utf-16-be"))
    assert rows_of(read(CSV, path)) == [(2, "A", "Ärger")]


def test_utf16_without_bom_is_recognised():
    data = "CustomerID,Name\nA,Ölmühle\n".encode("utf-16-le")
    assert rows_of(CSV().create_dataset(data)) == [(2, "A", "Ölmühle")]


def test_cp1252_file_is_refused_with_its_line_and_column_not_mojibake(tmp_path):
    path = tmp_path / "ansi.csv"
    path.write_bytes("CustomerID;Name;City\r\nA;Alpha;Berlin\r\n\r\nB;Müller;Köln\r\n".encode("cp1252"))

    problem = problem_of(CSV, path.read_bytes())

    assert (problem.line, problem.column) == (4, "Name")
    text = str(problem)
    assert text.startswith("Line 4, Name: The file is not saved as UTF-8")
    assert "In Excel: Save As > CSV UTF-8; in LibreOffice: Character set: Unicode (UTF-8)." in text
    assert "Ã" not in text and "\ufffd" not in text and "M?ller" not in text


def test_latin1_byte_in_the_header_names_line_1():
    problem = problem_of(CSV, "Straße;Name\nx;y\n".encode("latin-1"))
    assert (problem.line, problem.column) == (1, None)


def test_nul_characters_are_refused():
    problem = problem_of(CSV, b"a,b\n1,2\n3,\x004\n")
    assert problem.line == 3
    assert "NUL" in problem.message


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("CustomerID;Name", ";"),
        ("CustomerID,Name", ","),
        ("CustomerID\tName", "\t"),
        ('"Name, legal";City;Zip', ";"),
        ("Name;Street, No;City", ";"),
    ],
)
def test_separator_is_detected_from_the_header(header, delimiter):
    names = next(csv.reader([header], delimiter=delimiter))
    row = delimiter.join(["x, y" if delimiter != "," else '"x, y"'] + ["z"] * (len(names) - 1))
    dataset = CSV().create_dataset(f"{header}\r\n{row}\r\n".encode())
    assert dataset.headers == [LINE_COLUMN, *names]
    assert dataset[0][1] == "x, y"


def test_excel_sep_hint_line_sets_the_separator():
    dataset = CSV().create_dataset(b"sep=;\r\nCustomerID;Name, long\r\nA;B, C\r\n")
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name, long"]
    assert rows_of(dataset) == [(3, "A", "B, C")]


def test_tsv_forces_tabs():
    dataset = TSV().create_dataset(b"a;b\tc\n1;2\t3\n")
    assert dataset.headers == [LINE_COLUMN, "a;b", "c"]
    assert rows_of(dataset) == [(2, "1;2", "3")]


def test_headers_are_stripped_of_spaces_and_bom():
    dataset = CSV().create_dataset(" \ufeffCustomerID ; Name \n1;2\n".encode())
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name"]


def test_text_formats_accept_str():
    assert rows_of(CSV().create_dataset("\ufeffa;b\r\n1;ü\r\n")) == [(2, "1", "ü")]
    assert rows_of(JSON().create_dataset('[{"a": "ü"}]')) == [(1, "ü")]


def test_short_rows_are_padded_and_empty_rows_skipped():
    dataset = CSV().create_dataset(b"a;b;c\n1\n;;\n  ;\t; \n2;x\n")
    assert rows_of(dataset) == [(2, "1", "", ""), (5, "2", "x", "")]


def test_row_longer_than_the_header_is_refused_with_its_line():
    problem = problem_of(CSV, b"a;b\n1;2\n\n3;4;5\n")
    assert (problem.line, problem.column) == (4, None)
    assert str(problem).startswith("Line 4: This row has 3 values but the header names only 2 columns.")


def test_empty_cells_beyond_the_header_are_ignored():
    assert rows_of(CSV().create_dataset(b"a;b\r\n1;2;;\r\n")) == [(2, "1", "2")]


def test_trailing_empty_header_cells_are_dropped():
    dataset = CSV().create_dataset(b"a;b;;\r\n1;2;;\r\n")
    assert dataset.headers == [LINE_COLUMN, "a", "b"]


def test_empty_header_cell_names_its_position():
    problem = problem_of(CSV, b"CustomerID;;Name\nA;B;C\n")
    assert problem.line == 1
    assert str(problem) == (
        "Line 1: Column 2 (B) of the header has no name. Give every column a name, or delete the empty column."
    )


def test_duplicate_header_is_refused():
    problem = problem_of(CSV, b"Name;City;name\nA;B;C\n")
    assert problem.line == 1
    assert 'The column "Name" appears twice (columns A and C).' in problem.message


def test_reserved_line_column_name_is_refused():
    assert problem_of(CSV, f"{LINE_COLUMN},a\n1,2\n".encode()).line == 1


def test_unbalanced_quote_names_the_line_where_the_value_started():
    data = b'CustomerID;Name;Comment\r\nA;Alpha;ok\r\nB;Beta;"starts here\r\nand goes on\r\nC;Gamma;x\r\n'
    problem = problem_of(CSV, data)
    assert (problem.line, problem.column) == (3, "Comment")
    assert "never closed" in problem.message


def test_unbalanced_quote_after_an_embedded_newline_names_its_own_line():
    data = b'a,b,c\n1,"two\nlines","open\nrest\n'
    problem = problem_of(CSV, data)
    assert (problem.line, problem.column) == (3, "c")


def test_characters_after_a_closing_quote_are_refused():
    problem = problem_of(CSV, b'a,b\n1,2\n3,"x"y\n')
    assert (problem.line, problem.column) == (3, "b")


def test_empty_file_and_header_only_file(tmp_path):
    for data in (b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"   ", None):
        assert str(problem_of(CSV, data)) == "The file is empty."
    dataset = CSV().create_dataset(b"\xef\xbb\xbfCustomerID;Name\r\n")
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name"]
    assert len(dataset) == 0


def test_max_rows_refuses_bigger_files_and_accepts_the_limit():
    data = b"a\n" + b"".join(b"%d\n" % number for number in range(5))
    assert len(CSV().create_dataset(data, max_rows=5)) == 5
    problem = problem_of(CSV, data, max_rows=4)
    assert str(problem).startswith("The file has more than 4 rows.")
    assert len(CSV(max_rows=5).create_dataset(data)) == 5
    assert problem_of(CSV, b"a\n\n\n1\n\n", max_rows=0).line is None


# --- CSV read a chunk at a time ---------------------------------------------------------------

STREAMED = (
    'CustomerID;Name;Comment\r\nA;Müller;"two\r\nlines"\r\n\r\nB;東京;x\rC;Ölmühle;\nD;"Semi; colon";"""quoted"""\r\n'
)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_csv_read_in_chunks_of_any_size_gives_the_same_rows(monkeypatch, encoding, chunk):
    # Chunk boundaries fall inside letters, CRLFs, quoted line breaks and the header.
    monkeypatch.setattr(text_module, "READ_CHUNK", chunk)
    monkeypatch.setattr(text_module, "HEAD", 32)  # the header line, not the rows
    with CSV().open(io.BytesIO(STREAMED.encode(encoding))) as table:
        assert table.headers == ["CustomerID", "Name", "Comment"]
        assert list(table.rows) == [
            (2, ["A", "Müller", "two\r\nlines"]),
            (5, ["B", "東京", "x"]),
            (6, ["C", "Ölmühle", ""]),
            (7, ["D", "Semi; colon", '"quoted"']),
        ]


@pytest.mark.parametrize("chunk", [3, 16, 1 << 20])
def test_problems_in_a_later_chunk_name_their_line_and_column(monkeypatch, chunk):
    monkeypatch.setattr(text_module, "READ_CHUNK", chunk)
    monkeypatch.setattr(text_module, "HEAD", 32)  # the header line, not the rows
    start = "CustomerID;Name;City\r\n" + "".join(f"C{n};Name {n};Berlin\r\n" for n in range(50))
    problem = problem_of(CSV, start.encode() + "D;Müller;Köln\r\n".encode("cp1252"))
    assert (problem.line, problem.column) == (52, "Name")
    assert problem.message.startswith("The file is not saved as UTF-8")
    problem = problem_of(CSV, (start + 'D;"Open;Köln\r\nE;x;y\r\n').encode())
    assert (problem.line, problem.column) == (52, "Name")
    assert "never closed" in problem.message
    problem = problem_of(CSV, (start + "D;x;\x00\r\n").encode())
    assert problem.line == 52 and "NUL" in problem.message


def test_a_line_or_record_too_long_for_a_csv_file_is_refused(monkeypatch):
    monkeypatch.setattr(text_module, "READ_CHUNK", 16)
    monkeypatch.setattr(text_module, "HEAD", 32)  # the header line, not the rows
    monkeypatch.setattr(text_module, "MAX_LINE", 100)
    problem = problem_of(CSV, b"a,b\n1,2\n" + b"x" * 500 + b"\n3,4\n")
    assert problem.line == 3
    assert str(problem).startswith("Line 3: This line is longer than 100 characters")
    monkeypatch.setattr(csv_module, "MAX_RECORD", 100)
    problem = problem_of(CSV, b'a,b\n1,2\n3,"' + b"x\n" * 200 + b'"\n')
    assert (problem.line, problem.column) == (3, "b")
    assert "never closed" in problem.message


# --- XLSX ------------------------------------------------------------------------------------


def save(book, path):
    book.save(path)
    return path


def test_xlsx_values_become_text_and_lines_are_sheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["CustomerID", "ZIP", "Since", "Changed", "Active", "Rate", "Note", "Big"])
    sheet.append(
        ["ACME", 10115, datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 13, 30), True, 1.5, None, 1e20]
    )
    sheet.append([])
    sheet.append(["BETA", 1234.0, None, datetime.datetime(2024, 2, 1), False, 0.1 + 0.2, "  spaced  ", 4930123456])
    sheet.append(["GAMMA"])
    sheet["A7"] = "DELTA"
    path = save(book, tmp_path / "customers.xlsx")

    dataset = read(XLSX, path)

    assert dataset.headers == [LINE_COLUMN, "CustomerID", "ZIP", "Since", "Changed", "Active", "Rate", "Note", "Big"]
    assert rows_of(dataset) == [
        (2, "ACME", "10115", "2024-01-05", "2024-01-05T13:30:00", "true", "1.5", "", "100000000000000000000"),
        (4, "BETA", "1234", "", "2024-02-01", "false", "0.3", "  spaced  ", "4930123456"),
        (5, "GAMMA", "", "", "", "", "", "", ""),
        (7, "DELTA", "", "", "", "", "", "", ""),
    ]


def test_xlsx_formula_is_refused_with_line_and_column(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["CustomerID", "Name", "ZIP"])
    sheet.append(["A", "Alpha", 1])
    sheet.append(["B", "Beta", "=B2+1"])
    path = save(book, tmp_path / "formula.xlsx")

    problem = problem_of(XLSX, path.read_bytes())

    assert (problem.line, problem.column) == (3, "ZIP")
    assert str(problem).startswith("Line 3, ZIP: formulas are not imported; paste the values instead")


def test_xlsx_error_cell_is_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["CustomerID", "Name"])
    book.active.append(["A", "#N/A"])
    problem = problem_of(XLSX, save(book, tmp_path / "error.xlsx").read_bytes())
    assert (problem.line, problem.column) == (2, "Name")
    assert "#N/A" in problem.message


def test_xlsx_first_sheet_is_read_even_if_another_is_active(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["CustomerID"])
    book.active.append(["FIRST"])
    other = book.create_sheet("Other")
    other.append(["CustomerID"])
    other.append(["SECOND"])
    book.active = 1
    assert rows_of(read(XLSX, save(book, tmp_path / "two.xlsx"))) == [(2, "FIRST")]


def test_xlsx_formatted_empty_columns_and_rows_are_ignored(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["CustomerID", "Name"])
    sheet.append(["A", "Alpha"])
    for row in range(1, 40):
        sheet.cell(row=row, column=6).font = Font(bold=True)  # styled but empty
    path = save(book, tmp_path / "styled.xlsx")
    dataset = read(XLSX, path)
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name"]
    assert rows_of(dataset) == [(2, "A", "Alpha")]


def test_xlsx_whose_dimension_claims_a_million_rows(tmp_path):
    # LibreOffice may save a sheet's dimension as A1:AMJ1048576; read_only's max_row believes it.
    book = openpyxl.Workbook()
    book.active.append(["CustomerID", "Name"])
    book.active.append(["A", "Alpha"])
    source = save(book, tmp_path / "source.xlsx")
    path = tmp_path / "libreoffice.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as patched:
        for item in original.infolist():
            content = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:AMJ1048576"')
                assert b"AMJ1048576" in content
            patched.writestr(item, content)
    assert rows_of(read(XLSX, path)) == [(2, "A", "Alpha")]


def test_xlsx_stops_after_a_long_run_of_empty_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(formats.xlsx, "EMPTY_ROWS_BEFORE_END", 5)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["CustomerID"])
    sheet.append(["A"])
    for row in range(3, 20):
        sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet["A20"] = "far below"
    assert rows_of(read(XLSX, save(book, tmp_path / "gap.xlsx"))) == [(2, "A")]


def test_xlsx_header_only_and_empty_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["CustomerID", "Name"])
    dataset = read(XLSX, save(book, tmp_path / "header.xlsx"))
    assert dataset.headers == [LINE_COLUMN, "CustomerID", "Name"]
    assert len(dataset) == 0
    problem = problem_of(XLSX, save(openpyxl.Workbook(), tmp_path / "empty.xlsx").read_bytes())
    assert str(problem).startswith("The file is empty.")


def test_xlsx_row_longer_than_header_and_max_rows(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    book.active.append([3, 4, "extra"])
    assert problem_of(XLSX, save(book, tmp_path / "long.xlsx").read_bytes()).line == 3
    book.active.delete_rows(3)
    book.active.append([3, 4])
    path = save(book, tmp_path / "two.xlsx")
    assert len(read(XLSX, path, max_rows=2)) == 2
    assert str(problem_of(XLSX, path.read_bytes(), max_rows=1)).startswith("The file has more than 1 rows.")


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"CustomerID;Name\r\nA;Alpha\r\n", "This is not an Excel (.xlsx) file but text, probably CSV. Choose CSV"),
        (bytes(range(256)) * 4, "This is not an Excel (.xlsx) file. Open it in Excel"),
        (zip_bytes({"readme.txt": "hello"}), "This is a ZIP archive but not an Excel (.xlsx) workbook."),
        (
            zip_bytes({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}),
            "This is an OpenDocument (.ods) spreadsheet",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "This is an old Excel 97-2003 (.xls) file"),
        (b"PK\x03\x04 truncated", "This is a ZIP archive but not an Excel (.xlsx) workbook."),
    ],
    ids=["csv-named-xlsx", "random-bytes", "zip", "ods", "xls", "broken-zip"],
)
def test_files_that_are_not_xlsx_get_a_clear_message(tmp_path, data, start):
    path = tmp_path / "customers.xlsx"
    path.write_bytes(data)
    problem = problem_of(XLSX, path.read_bytes())
    assert str(problem).startswith(start)
    assert "Traceback" not in str(problem)


def test_damaged_xlsx_says_so():
    data = zip_bytes({"[Content_Types].xml": "<broken", "xl/workbook.xml": "<broken"})
    assert str(problem_of(XLSX, data)).startswith("The Excel file is damaged or uses a feature that cannot be read.")


def test_empty_xlsx_upload():
    assert str(problem_of(XLSX, b"")) == "The file is empty."
    assert str(problem_of(XLSX, None)) == "The file is empty."


# --- JSON ------------------------------------------------------------------------------------


def test_json_list_of_objects_with_line_numbers(tmp_path):
    path = tmp_path / "organizations.json"
    path.write_text(
        "[\n"
        '  {"name": "Acme", "active": true, "note": null, "shared": false},\n'
        "\n"
        "  {\n"
        '    "name": "Beta \\"B\\"",\n'
        '    "zip": 10115.0,\n'
        '    "members": 3,\n'
        '    "note": "Köln"\n'
        '  }, {"name": "Gamma", "rate": 1.25}\n'
        "]\n",
        encoding="utf-8",
    )
    dataset = read(JSON, path)
    assert dataset.headers == [LINE_COLUMN, "name", "active", "note", "shared", "zip", "members", "rate"]
    assert rows_of(dataset) == [
        (2, "Acme", "true", "", "false", "", "", ""),
        (4, 'Beta "B"', "", "Köln", "", "10115", "3", ""),
        (9, "Gamma", "", "", "", "", "", "1.25"),
    ]


def test_json_as_our_export_writes_it_round_trips_lines():
    data = json.dumps([{"a": "1"}, {"a": "2"}], indent=2).encode()
    assert [row[0] for row in JSON().create_dataset(data)] == [2, 5]


@pytest.mark.parametrize(
    ("data", "line", "column", "start"),
    [
        (b'{"name": "Acme"}', 1, None, "A JSON file must hold a list of records"),
        (b'[\n {"name": "A"},\n "B"\n]', 3, None, "This entry of the list is not an object"),
        (b'[\n {"name": "A"},\n {"name": "B", "tags": ["x"]}\n]', 3, "tags", "Lists and objects inside a record"),
        (b'[\n {"name": "A"},\n {"name": "B" "x": 1}\n]', 3, None, "This is not valid JSON: Expecting ',' delimiter"),
        (b'[\n {"name": "A"},\n]', 3, None, "This is not valid JSON"),
        (b'[{"name": "A"}]\n[]', 2, None, "There is more after the end of the list"),
        (b'[{"name": "A"}, {"": 1}]', 1, None, "A record has a field named"),
        (b'[{"Name": "A"}, {"name ": 1}]', 1, None, "The field names"),
    ],
)
def test_json_problems(data, line, column, start):
    problem = problem_of(JSON, data)
    assert (problem.line, problem.column) == (line, column)
    assert problem.message.startswith(start)


def test_json_empty_list_empty_file_and_max_rows():
    # An empty list has no columns to name: as empty as an empty file.
    assert str(problem_of(JSON, b"[ ]")) == "The file is empty."
    assert str(problem_of(JSON, b"  \n")) == "The file is empty."
    assert str(problem_of(JSON, b'[{"a": 1}, {"a": 2}]', max_rows=1)).startswith("The file has more than 1 rows.")


# --- export and round trips ----------------------------------------------------------------

TRICKY = tablib.Dataset(
    ("ACME", "Acme; Rockets, Inc.", 'say "hi"', "line 1\r\nline 2", "01234"),
    ("BETA", "Müller & Söhne 東京", "\ttab first", "'=1+1", "+49 30 1234"),
    ("GAMMA", "  spaced  ", "=1+1", "@SUM(A1)", "-5"),
    ("DELTA", "", "#N/A", "=", "line\nfeed"),
    headers=["CustomerID", "Name", "Comment", "Note", "Phone"],
)


@pytest.mark.parametrize("format_class", EXPORT_FORMATS)
def test_export_then_import_gives_back_the_same_data(format_class):
    exported = format_class().export_data(TRICKY)
    assert isinstance(exported, bytes)
    dataset = format_class().create_dataset(exported)
    assert dataset.headers == [LINE_COLUMN, *TRICKY.headers]
    assert [row[1:] for row in dataset] == [tuple(row) for row in TRICKY]


@pytest.mark.parametrize("format_class", EXPORT_FORMATS)
def test_export_drops_the_line_column(format_class):
    dataset = CSV().create_dataset(b"a;b\n1;2\n")
    again = format_class().create_dataset(format_class().export_data(dataset))
    assert again.headers == [LINE_COLUMN, "a", "b"]
    assert rows_of(again)[0][1:] == ("1", "2")


def test_csv_export_is_utf8_with_bom_comma_crlf():
    data = CSV().export_data(tablib.Dataset(("ü", "a,b", "x\ny"), headers=["A", "B", "C"]))
    assert data == codecs.BOM_UTF8 + 'A,B,C\r\nü,"a,b","x\ny"\r\n'.encode()


def test_tsv_export_uses_tabs():
    data = TSV().export_data(tablib.Dataset(("1", "a\tb"), headers=["A", "B"]))
    assert data == codecs.BOM_UTF8 + b'A\tB\r\n1\t"a\tb"\r\n'


def test_json_export_is_a_readable_utf8_list():
    data = JSON().export_data(tablib.Dataset(("ü", None), headers=["name", "note"]))
    assert data.decode("utf-8") == '[\n  {\n    "name": "ü",\n    "note": ""\n  }\n]\n'


def test_export_renders_native_values_as_text():
    dataset = tablib.Dataset((1, 2.0, True, None, datetime.date(2024, 1, 5)), headers=["a", "b", "c", "d", "e"])
    assert CSV().export_data(dataset).decode("utf-8-sig") == "a,b,c,d,e\r\n1,2,true,,2024-01-05\r\n"


def test_exported_xlsx_has_only_text_cells_and_no_formula(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(XLSX().export_data(TRICKY))
    book = openpyxl.load_workbook(path)  # not read_only, not data_only: formulas would show as "f"
    cells = [cell for row in book.active.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} == {"s"}
    values = {cell.value for cell in cells}
    assert {"=1+1", "@SUM(A1)", "#N/A", "=", "-5", "+49 30 1234"} <= values
    assert book.active.freeze_panes == "A2"
    with zipfile.ZipFile(path) as archive:  # so read_only loads need not scan the sheet for its size
        assert b'<dimension ref="A1:E5"' in archive.read("xl/worksheets/sheet1.xml")


def test_xlsx_keeps_carriage_returns_and_control_characters_with_office_escapes(tmp_path):
    dataset = tablib.Dataset(("bell\x07", "=x\x1b", "a\r\nb", "_x0041_ stays"), headers=["A", "B", "C", "D"])
    path = tmp_path / "escaped.xlsx"
    path.write_bytes(XLSX().export_data(dataset))
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"bell_x0007_" in sheet and b"a_x000D_\nb" in sheet and b"_x005F_x0041_ stays" in sheet
    assert rows_of(read(XLSX, path)) == [(2, "bell\x07", "=x\x1b", "a\r\nb", "_x0041_ stays")]


@pytest.mark.parametrize(
    "value",
    ["", "plain", "=1+1", "+49 30", "-5", "@SUM(A1)", "\tx", "\rx", "'=x", "''=x", "'abc", "'", "=", "a=b"],
)
def test_neutralise_and_restore_round_trip(value):
    neutral = neutralise_formula(value)
    assert restore_neutralised(neutral) == value
    assert not neutral.startswith(formats.FORMULA_PREFIXES)


def test_neutralise_formula_examples():
    assert neutralise_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise_formula("+49") == "'+49"
    assert neutralise_formula("Acme") == "Acme"
    assert restore_neutralised("'@x") == "@x"
    assert restore_neutralised("'quoted") == "'quoted"


def test_neutralised_csv_round_trip():
    column = ["=1+1", "@SUM(A1)", "-5", "'=x", "plain"]
    dataset = tablib.Dataset(*[(neutralise_formula(value),) for value in column], headers=["Comment"])
    again = CSV().create_dataset(CSV().export_data(dataset))
    assert [restore_neutralised(row[1]) for row in again] == column


# --- the format classes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_class", "base", "title", "content_type"),
    [
        (CSV, base_formats.CSV, "csv", "text/csv; charset=utf-8"),
        (TSV, base_formats.TSV, "tsv", "text/tab-separated-values; charset=utf-8"),
        (XLSX, base_formats.XLSX, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (JSON, base_formats.JSON, "json", "application/json"),
    ],
)
def test_formats_work_as_django_import_export_formats(format_class, base, title, content_type):
    instance = format_class(encoding="utf-8-sig")
    assert isinstance(instance, base)
    assert format_class.is_available()
    assert instance.get_title() == title
    assert instance.get_extension() == title
    assert instance.get_content_type() == content_type
    assert instance.is_binary() is True
    assert instance.get_read_mode() == "rb"
    assert instance.can_import() and instance.can_export()
    assert instance.is_text() is (format_class is not XLSX)
    assert format_class in IMPORT_FORMATS and format_class in EXPORT_FORMATS


def test_a_subclass_can_pass_a_row_limit_the_way_the_admin_does():
    class Limited(CSV):
        def create_dataset(self, in_stream, **kwargs):
            return super().create_dataset(in_stream, max_rows=1, **kwargs)

    with pytest.raises(FileProblem):
        Limited().create_dataset(b"a\n1\n2\n")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("csv", CSV),
        ("TSV", TSV),
        ("xlsx", XLSX),
        ("json", JSON),
        (".json", JSON),
        ("customers.CSV", CSV),
        ("exports/customers.2024.xlsx", XLSX),
        ("unicode.txt", CSV),
        ("list.tsv", TSV),
    ],
)
def test_format_for(name, expected):
    assert type(format_for(name)) is expected


@pytest.mark.parametrize("name", ["pdf", "customers.docx", "", "noextension"])
def test_format_for_unknown_names_lists_the_known_formats(name):
    with pytest.raises(FileProblem) as caught:
        format_for(name)
    assert "use one of csv, tsv, xlsx, json" in str(caught.value)


def test_format_for_old_excel_says_how_to_convert():
    with pytest.raises(FileProblem) as caught:
        format_for("customers.xls")
    assert str(caught.value).startswith("Excel 97-2003 (.xls) files cannot be read. Save the file as")


def test_file_problem_renders_line_and_column():
    assert str(FileProblem("Unknown country 'Narnia'.", line=3, column="Country")) == (
        "Line 3, Country: Unknown country 'Narnia'."
    )
    assert str(FileProblem("Bad.", line=3)) == "Line 3: Bad."
    assert str(FileProblem("Bad.", column="Name")) == "Name: Bad."
    assert str(FileProblem("The file is empty.")) == "The file is empty."
    problem = pickle.loads(pickle.dumps(FileProblem("Bad.", line=7, column="ZIP")))
    assert (problem.message, problem.line, problem.column) == ("Bad.", 7, "ZIP")
    assert isinstance(problem, ValueError)
