"""Import in the admin: upload, preview with counts and line-numbered problems, confirm;
unreadable files, size and row limits, and who may import and export."""

import io
import json
import re

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from otrs_customer_admin.models import Customer, CustomerUser, Validity
from tests.factories import make_customer, make_customer_user, make_ticket
from tests.importing import excel_csv, plain_csv
from tests.markup import assert_in_html, attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

CUSTOMER, CUSTOMER_USER = "customer", "customeruser"
# The positions of the admin's import formats: the upload form's "format" value.
FORMAT = {"csv": "0", "tsv": "1", "xlsx": "2", "json": "3"}


def url(model, name):
    return reverse(f"admin:otrs_customer_admin_{model}_{name}")


def page_text(response):
    return text(document(response))


def upload(client, data, name="customers.csv", model=CUSTOMER, file_format=None, default_country=""):
    file_format = file_format or name.rsplit(".", 1)[1]
    return client.post(
        url(model, "import"),
        {
            "format": FORMAT[file_format],
            "import_file": SimpleUploadedFile(name, data),
            "default_country": default_country,
        },
    )


def confirm_fields(response, model=CUSTOMER):
    """The hidden fields of the preview's confirm form, or None when the preview has no confirm form."""
    forms = elements(document(response), "form", action=url(model, "process_import"))
    if not forms:
        return None
    return {
        attribute(field, "name"): attribute(field, "value") or ""
        for form in forms
        for field in elements(form, "input", type="hidden")
    }


def confirm(client, preview, model=CUSTOMER):
    fields = confirm_fields(preview, model)
    assert fields is not None, "the preview has no confirm form"
    return client.post(url(model, "process_import"), fields, follow=True)


def counts(response):
    match = re.search(r"(\d+) rows?: (\d+) to create, (\d+) to update, (\d+) unchanged\.", page_text(response))
    assert match, "the preview shows no counts"
    return tuple(int(number) for number in match.groups())


def problems(response):
    """The line-numbered problems the preview lists."""
    listed = elements(document(response), "ul", class_="otrs-import-problems")
    return [text(item) for item in elements(listed[0], "li")] if listed else []


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def form_errors(response):
    form = response.context["form"]
    return [str(error).replace("\xa0", " ") for error in form.errors.get("import_file", [])]


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def staff(*codenames, username="clerk"):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


# ---------------------------------------------------------------------------
# The buttons and the formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CUSTOMER, CUSTOMER_USER, "sla"])
def test_the_lists_show_import_and_export_buttons(admin_client, model):
    page = document(admin_client.get(url(model, "changelist")))

    def button(href):
        found = elements(page, "a", href=lambda value: value.startswith(href))
        return text(found[0]) if found else None

    assert button(url(model, "import")) == "upload Import"  # unfold's icon ligature, then the label
    assert button(url(model, "export") + "?") == "download Export"


@pytest.mark.parametrize("model", [Customer, CustomerUser])
def test_the_upload_form_offers_csv_tsv_xlsx_and_json_and_a_default_country(admin_client, model):
    model_admin = admin.site._registry[model]
    names = [format_class.__name__ for format_class in model_admin.get_import_formats()]
    assert names == ["CSV", "TSV", "XLSX", "JSON"]
    form = admin_client.get(url(model._meta.model_name, "import")).context["form"]
    assert [label for value, label in form.fields["format"].choices if value != ""] == ["csv", "tsv", "xlsx", "json"]
    assert ("AT", "Austria") in list(form.fields["default_country"].choices)


def test_the_upload_forms_fields_are_unfolds(admin_client):
    page = document(admin_client.get(url(CUSTOMER_USER, "import")))
    for tag, name, widget_class in (
        ("input", "default_customer", UnfoldAdminTextInputWidget),  # a box with a border, not a bare line
        ("select", "default_country", UnfoldAdminSelectWidget),
        ("select", "format", UnfoldAdminSelectWidget),
    ):
        classes = set(attribute(element(page, tag, name=name), "class").split())
        assert set(widget_class().attrs["class"].split()) <= classes, name


def test_the_default_country_fills_in_new_customer_users_without_one(admin_client, existing):
    form = admin_client.get(url(CUSTOMER_USER, "import")).context["form"]
    assert "For new customer users whose row has no country" in str(form.fields["default_country"].help_text)
    rows = [
        ["login", "first_name", "last_name", "email", "customer", "country"],
        ["mmax", "Max", "Muster", "m@acme.example", "ACME", ""],
        ["erika", "Erika", "Muster", "e@acme.example", "ACME", "CH"],
    ]
    preview = upload(admin_client, plain_csv(rows), "users.csv", model=CUSTOMER_USER, default_country="AT")
    assert "Country: AT" in page_text(preview)
    confirm(admin_client, preview, CUSTOMER_USER)
    assert dict(CustomerUser.objects.values_list("login", "country")) == {"mmax": "AT", "erika": "CH"}


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        (CUSTOMER, "customer_id, name, street, zip, city, country, url, comment, valid"),
        (
            CUSTOMER_USER,
            "login, title, first_name, last_name, email, customer, phone, fax, mobile, street, zip, city, "
            "country, comment, valid",
        ),
    ],
)
def test_the_upload_form_names_the_columns_that_are_imported(admin_client, model, columns):
    text = page_text(admin_client.get(url(model, "import")))
    assert f"This importer will import the following fields: {columns}" in text
    assert "data_source" not in text  # exported, never imported
    assert "the column names of OTRS, Znuny and Zammad exports work too" in text


# ---------------------------------------------------------------------------
# Upload, preview, confirm
# ---------------------------------------------------------------------------

HEADER = ["CustomerID", "Name", "City", "Country"]


@pytest.fixture
def existing():
    acme = make_customer("ACME", "Acme Corporation", city="Berlin")
    initech = make_customer("INITECH", "Initech", city="Austin", country="US")
    return acme, initech


def test_upload_previews_counts_and_confirm_writes_with_history(admin_client, admin_user, existing):
    acme, _ = existing
    data = excel_csv(
        [
            HEADER,
            ["ACME", "Acme Corporation", "Hamburg", "DE"],  # update
            ["GLOBEX", "Globex", "Springfield", "United States"],  # new
            ["initech", "Initech", "Austin", "US"],  # unchanged (matched ignoring case)
            ["HOOLI", "Hooli", "Palo Alto", "US"],  # new
        ]
    )
    preview = upload(admin_client, data)
    assert preview.status_code == 200
    assert counts(preview) == (4, 2, 1, 1)
    assert problems(preview) == []
    # The preview lists the changes with their lines; nothing is written yet.
    text = page_text(preview)
    assert "2 New GLOBEX" not in text and "3 New GLOBEX" in text and "2 Update ACME City: Berlin → Hamburg" in text
    assert Customer.objects.count() == 2 and Customer.objects.get(pk=acme.pk).city == "Berlin"
    # The confirm form carries the signed token of the preview, nothing the browser could change.
    assert set(confirm_fields(preview)) == {"csrfmiddlewaretoken", "token"}

    done = confirm(admin_client, preview)
    assert done.redirect_chain[-1][0] == url(CUSTOMER, "changelist")
    assert messages_of(done) == ["Import of customers finished: 2 created, 1 updated, 1 unchanged."]
    assert sorted(Customer.objects.values_list("customer_id", flat=True)) == ["ACME", "GLOBEX", "HOOLI", "INITECH"]
    assert Customer.objects.get(pk=acme.pk).city == "Hamburg"
    globex = Customer.objects.get(customer_id="GLOBEX")
    assert (globex.name, globex.city, globex.country.code, globex.valid) == ("Globex", "Springfield", "US", 1)

    content_type = ContentType.objects.get_for_model(Customer)
    entries = LogEntry.objects.filter(content_type=content_type)
    hooli = Customer.objects.get(customer_id="HOOLI")
    assert sorted((entry.object_id, entry.action_flag, entry.user_id) for entry in entries) == sorted(
        [
            (str(acme.pk), CHANGE, admin_user.pk),
            (str(globex.pk), ADDITION, admin_user.pk),
            (str(hooli.pk), ADDITION, admin_user.pk),
        ]
    )
    history = admin_client.get(reverse("admin:otrs_customer_admin_customer_history", args=[acme.pk]))
    assert "Changed City." in page_text(history)


def test_the_preview_shows_old_and_new_values_escaped_and_isolated(admin_client, existing):
    data = plain_csv(
        [
            [*HEADER, "Comment"],
            ["ACME", "Acme Corporation", "<b>Hamburg</b>", "DE", "שלום"],
            ["GLOBEX", "Globex", "", "US", ""],
        ]
    )
    preview = upload(admin_client, data)
    text = page_text(preview)
    assert "2 Update ACME City: Berlin → <b>Hamburg</b> Comment: (empty) → שלום" in text
    assert "3 New GLOBEX " in text and "Country: US" in text and "Valid: valid" in text
    assert "<b>Hamburg" not in preview.content.decode()  # escaped
    page = document(preview)
    assert_in_html("<bdi>&lt;b&gt;Hamburg&lt;/b&gt;</bdi>", page)
    assert_in_html("<bdi>שלום</bdi>", page)
    assert_in_html("<bdi>Berlin</bdi>", page)


def test_the_preview_is_unfolds_table_a_row_per_record(admin_client, existing):
    data = plain_csv([HEADER, ["ACME", "Acme Corporation", "Hamburg", "DE"], ["GLOBEX", "Globex", "Austin", "US"]])
    table = element(document(upload(admin_client, data).content.decode()), "div", class_="otrs-import-preview")
    assert [text(header) for header in elements(table, "th")] == ["Line", "Change", "Record", "Changes"]
    rows = [[text(cell) for cell in elements(row, "td")] for row in elements(table, "tr", class_="data-row")]
    assert rows[0][:3] == ["2", "Update", "ACME"] and rows[0][3] == "City: Berlin → Hamburg"
    assert rows[1][:3] == ["3", "New", "GLOBEX"] and "City: Austin" in rows[1][3]
    assert [attribute(body, "data-change") for body in elements(table, "tbody")] == ["update", "new"]


def test_the_customer_user_preview_names_customers_by_their_customer_id(admin_client, existing):
    acme, initech = existing
    jane = make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane@acme.example")
    jane.additional_customers.set([initech])
    header = ["login", "first_name", "last_name", "email", "customer", "additional_customers", "valid"]
    rows = [header, ["jdoe", "Jane", "Doe", "jane@acme.example", "INITECH", "ACME", "invalid"]]
    text = page_text(upload(admin_client, plain_csv(rows), model=CUSTOMER_USER))
    assert "Customer: ACME → INITECH" in text
    assert "Additional customers: INITECH → ACME" in text
    assert "Valid: valid → invalid" in text


def test_one_row_is_counted_in_the_singular(admin_client):
    text = page_text(upload(admin_client, plain_csv([HEADER, ["ACME", "Acme", "", "DE"]])))
    assert "1 row: 1 to create, 0 to update, 0 unchanged." in text and "1 rows" not in text


def test_a_preview_where_every_row_is_unchanged_offers_no_confirm(admin_client, existing):
    data = plain_csv([HEADER, ["ACME", "Acme Corporation", "Berlin", "DE"], ["INITECH", "Initech", "Austin", "US"]])
    preview = upload(admin_client, data)
    assert counts(preview) == (2, 0, 0, 2)
    assert "Nothing to import: every row matches the data as it is." in page_text(preview)
    assert confirm_fields(preview) is None and "Confirm import" not in page_text(preview)
    assert elements(document(preview), "input", name="import_file")  # the upload form, for another file


def test_a_header_of_a_hundred_thousand_unknown_columns_gives_a_short_warning(admin_client):
    unknown = [f"X{number}" for number in range(100_000)]
    preview = upload(admin_client, plain_csv([[*HEADER, *unknown], ["ACME", "Acme", "", "DE"]]))
    assert counts(preview) == (1, 1, 0, 0)
    named = ", ".join(f"X{number}" for number in range(10))
    assert f"Columns not imported: {named} and 99990 more." in page_text(preview)
    assert len(preview.content) < 200_000


def test_problems_are_listed_by_line_and_column_with_no_confirm_and_nothing_written(admin_client, existing):
    data = plain_csv(
        [
            HEADER,
            ["GLOBEX", "Globex", "Springfield", "US"],
            ["ACME", "Acme Corporation", "Hamburg", "Narnia"],
            ["NOCOUNTRY", "No country", "", ""],
        ]
    )
    preview = upload(admin_client, data)
    assert counts(preview)[0] == 3
    assert problems(preview) == [
        "Line 3, Country: Unknown country 'Narnia': use an ISO code such as DE or an English name such as Germany.",
        "Line 4, Country: a new customer needs a country: add a country column, or choose a default country "
        "(--default-country, the import form's default country, or the DEFAULT_COUNTRY setting).",
    ]
    assert "The file was rejected: 2 problems. Nothing was written" in page_text(preview)
    assert confirm_fields(preview) is None
    assert "Confirm import" not in page_text(preview)
    # The upload form is there again, for the corrected file.
    assert preview.context["form"] is not None and elements(document(preview), "input", name="import_file")
    assert sorted(Customer.objects.values_list("customer_id", "city")) == [("ACME", "Berlin"), ("INITECH", "Austin")]


def test_thousands_of_problems_list_the_first_thousand_and_count_the_rest(admin_client):
    rows = [[f"C{number:04d}", f"Customer {number}", "", "Narnia"] for number in range(1200)]
    preview = upload(admin_client, plain_csv([HEADER, *rows]))
    assert "The file was rejected: 1200 problems. Nothing was written" in page_text(preview)
    listed = problems(preview)
    assert len(listed) == 1001
    assert listed[0].startswith("Line 2, Country: Unknown country 'Narnia'")
    assert listed[999].startswith("Line 1001, Country: Unknown country 'Narnia'")
    assert listed[1000] == "… and 200 more."


def test_each_problem_is_listed_once(admin_client):
    preview = upload(admin_client, plain_csv([HEADER, ["BAD ID", "Bad", "", "DE"]]))
    assert problems(preview) == [
        "Line 2, CustomerID: A CustomerID may contain only letters, digits and the characters . _ - @ +"
    ]


def test_problem_messages_are_escaped(admin_client):
    data = plain_csv([HEADER, ["X", "X", "", "<script>alert(1)</script>"]])
    preview = upload(admin_client, data)
    content = preview.content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_customer_users_import_in_two_steps(admin_client, admin_user, existing):
    acme, _ = existing
    make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane@acme.example")
    header = ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "UserPhone"]
    rows = [
        ["jdoe", "Jane", "Doe", "jane@acme.example", "ACME", "+49 30 1234"],
        ["mmax", "Max", "Muster", "max@initech.example", "initech", ""],
    ]
    preview = upload(
        admin_client, plain_csv([header, *rows, ["x", "X", "Y", "x@x.example", "NOPE", ""]]), model=CUSTOMER_USER
    )
    assert problems(preview) == ["Line 4, UserCustomerID: no customer with the CustomerID NOPE."]
    assert confirm_fields(preview, CUSTOMER_USER) is None

    preview = upload(admin_client, plain_csv([header, *rows]), "users.csv", model=CUSTOMER_USER)
    assert counts(preview) == (2, 1, 1, 0)
    done = confirm(admin_client, preview, CUSTOMER_USER)
    assert done.redirect_chain[-1][0] == url(CUSTOMER_USER, "changelist")
    assert messages_of(done) == ["Import of customer users finished: 1 created, 1 updated, 0 unchanged."]
    assert CustomerUser.objects.get(login="jdoe").phone == "+49 30 1234"
    assert CustomerUser.objects.get(login="mmax").customer.customer_id == "INITECH"
    content_type = ContentType.objects.get_for_model(CustomerUser)
    flags = sorted(
        LogEntry.objects.filter(content_type=content_type, user=admin_user).values_list("action_flag", flat=True)
    )
    assert flags == [ADDITION, CHANGE]


ZAMMAD_ORGANIZATIONS = plain_csv(
    [
        ["id", "name", "shared", "domain", "domain_assignment", "active", "note", "vip"],
        ["1", "Acme & Co", "true", "acme.example", "false", "true", "Key account", "false"],
        ["2", "Zammad Foundation", "true", "", "false", "false", "", "false"],
    ]
)


def test_a_zammad_organizations_file_imports_with_the_default_country_of_the_form(admin_client):
    preview = upload(admin_client, ZAMMAD_ORGANIZATIONS, "organizations.csv")
    assert confirm_fields(preview) is None
    assert len(problems(preview)) == 2 and "choose a default country" in problems(preview)[0]

    preview = upload(admin_client, ZAMMAD_ORGANIZATIONS, "organizations.csv", default_country="AT")
    assert counts(preview) == (2, 2, 0, 0)
    confirm(admin_client, preview)
    assert dict(Customer.objects.values_list("name", "country")) == {"Acme & Co": "AT", "Zammad Foundation": "AT"}
    acme = Customer.objects.get(name="Acme & Co")
    assert (acme.url, acme.comment, acme.valid) == ("https://acme.example", "Key account", Validity.VALID)
    assert Customer.objects.get(name="Zammad Foundation").valid == Validity.INVALID

    # The same file again changes nothing.
    again = upload(admin_client, ZAMMAD_ORGANIZATIONS, "organizations.csv", default_country="AT")
    assert counts(again) == (2, 0, 0, 2)


def test_the_confirm_imports_with_the_default_country_of_the_preview_whatever_the_browser_sends(admin_client):
    preview = upload(admin_client, ZAMMAD_ORGANIZATIONS, "organizations.csv", default_country="AT")
    fields = {**confirm_fields(preview), "default_country": "ZZ"}
    response = admin_client.post(url(CUSTOMER, "process_import"), fields, follow=True)
    assert response.redirect_chain[-1][0] == url(CUSTOMER, "changelist")
    assert set(Customer.objects.values_list("country", flat=True)) == {"AT"}


@pytest.mark.parametrize("file_format", ["tsv", "xlsx", "json"])
def test_the_other_formats_upload_and_confirm(admin_client, file_format):
    rows = [HEADER, ["ACME", "Acme Corporation", "Berlin", "DE"], ["GLOBEX", "Globex", "Springfield", "US"]]
    if file_format == "tsv":
        data = "\n".join("\t".join(row) for row in rows).encode("utf-16")  # Excel's "Unicode Text"
    elif file_format == "xlsx":
        data = xlsx(rows)
    else:
        data = json.dumps([dict(zip(HEADER, row, strict=True)) for row in rows[1:]]).encode()
    preview = upload(admin_client, data, f"customers.{file_format}")
    assert counts(preview) == (2, 2, 0, 0)
    confirm(admin_client, preview)
    assert sorted(Customer.objects.values_list("customer_id", "country")) == [("ACME", "DE"), ("GLOBEX", "US")]


def test_the_preview_always_comes_first_whatever_the_site_settings(admin_client):
    with override_settings(IMPORT_EXPORT_SKIP_ADMIN_CONFIRM=True):
        preview = upload(admin_client, plain_csv([HEADER, ["ACME", "Acme", "", "DE"]]))
        assert preview.status_code == 200
        assert counts(preview) == (1, 1, 0, 0)
        assert confirm_fields(preview) is not None
        assert not Customer.objects.exists()
        confirm(admin_client, preview)
    assert Customer.objects.filter(customer_id="ACME").exists()


def test_confirming_twice_imports_once_and_says_so(admin_client):
    preview = upload(admin_client, plain_csv([HEADER, ["ACME", "Acme", "", "DE"]]))
    confirm(admin_client, preview)
    again = confirm(admin_client, preview)  # the back button, or a double click
    assert again.status_code == 200
    assert messages_of(again) == [
        "The uploaded file is no longer available: it was imported already, or the upload expired. "
        "Upload the file again to see its preview."
    ]
    assert again.redirect_chain[-1][0] == url(CUSTOMER, "import")
    assert Customer.objects.count() == 1


def test_a_confirm_that_no_longer_fits_the_database_writes_nothing_and_says_why(admin_client):
    preview = upload(admin_client, plain_csv([HEADER, ["GLOBEX", "Globex", "", "US"], ["HOOLI", "Hooli", "", "US"]]))
    assert counts(preview) == (2, 2, 0, 0)
    # Between the preview and the confirm, someone else takes the name.
    make_customer("GLOBEX-INC", "Globex", country="US")
    done = confirm(admin_client, preview)
    assert done.redirect_chain[-1][0] == url(CUSTOMER, "import")
    assert messages_of(done) == [
        "Nothing was imported: since the preview, the data changed and the file now has 1 problem. "
        "Correct the file and upload it again.",
        "Line 2, Name: another customer is already called Globex.",
    ]
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["GLOBEX-INC"]


# ---------------------------------------------------------------------------
# Files that cannot be read
# ---------------------------------------------------------------------------


def test_a_file_in_another_encoding_says_how_to_save_it(admin_client):
    data = "CustomerID;Name;Country\r\nMUELLER;Müller GmbH;DE\r\n".encode("cp1252")
    response = upload(admin_client, data)
    (error,) = form_errors(response)
    assert error.startswith("Line 2, Name: The file is not saved as UTF-8")
    assert "Save As > CSV UTF-8" in error
    assert error in page_text(response)
    assert confirm_fields(response) is None and "result" not in response.context


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"CustomerID,Name,Country\nA,Alpha,DE\n", "This is not an Excel (.xlsx) file but text, probably CSV."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is not an Excel (.xlsx) file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "This is an old Excel 97-2003 (.xls) file"),
    ],
    ids=["csv-as-xlsx", "png", "xls"],
)
def test_a_file_that_is_not_a_workbook_says_what_it_is(admin_client, data, message):
    (error,) = form_errors(upload(admin_client, data, "customers.xlsx"))
    assert error.startswith(message)


def test_a_formula_in_a_workbook_is_refused_with_its_cell(admin_client):
    data = xlsx([HEADER, ["ACME", "Acme", "Berlin", "DE"], ["GLOBEX", '=A2&" Inc"', "Springfield", "US"]])
    (error,) = form_errors(upload(admin_client, data, "customers.xlsx"))
    assert error == "Line 3, Name: formulas are not imported; paste the values instead (Paste Special > Values)."
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "customers.csv", "The submitted file is empty."),
        ("\ufeff\r\n \r\n".encode(), "customers.csv", "The file is empty."),
        (xlsx([]), "customers.xlsx", "The file is empty. Its first sheet has no cells with values."),
        (b"[]", "customers.json", "The file is empty."),
    ],
    ids=["no-bytes", "blank-csv", "blank-sheet", "empty-json"],
)
def test_an_empty_file_says_so(admin_client, data, name, message):
    response = upload(admin_client, data, name)
    assert form_errors(response) == [message]
    assert confirm_fields(response) is None


@pytest.mark.parametrize(
    ("data", "name"),
    [(plain_csv([HEADER]), "customers.csv"), (xlsx([HEADER]), "customers.xlsx")],
    ids=["csv", "xlsx"],
)
def test_a_header_without_rows_says_so(admin_client, data, name):
    response = upload(admin_client, data, name)
    assert form_errors(response) == ["The file has a header but no rows to import."]
    assert confirm_fields(response) is None


# ---------------------------------------------------------------------------
# Limits of a browser upload
# ---------------------------------------------------------------------------


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_UPLOAD_SIZE": 100})
def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(admin_client):
    data = plain_csv([HEADER, *[[f"C{number}", f"Customer {number}", "", "DE"] for number in range(10)]])
    assert len(data) > 100
    (error,) = form_errors(upload(admin_client, data))
    assert error == (
        f"The file is {len(data)} bytes; uploads take at most 100 bytes. "
        "Split it, or import it with the import_customers / import_customer_users command."
    )
    small = plain_csv([HEADER, ["A", "Alpha", "", "DE"]])
    assert len(small) <= 100 and counts(upload(admin_client, small)) == (1, 1, 0, 0)


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_UPLOAD_SIZE": 3 * 1024 * 1024})
def test_the_size_limit_is_shown_in_megabytes(admin_client):
    data = plain_csv([HEADER]) + b"A,Alpha,,DE\n" * 300_000
    (error,) = form_errors(upload(admin_client, data))
    assert error.startswith("The file is 3.4 MB; uploads take at most 3.0 MB.")


@override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_MAX_ROWS": 2})
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_a_file_over_the_row_limit_is_refused(admin_client, file_format):
    rows = [HEADER, *[[f"C{number}", f"Customer {number}", "", "DE"] for number in range(3)]]
    if file_format == "csv":
        data = plain_csv(rows)
    elif file_format == "xlsx":
        data = xlsx(rows)
    else:
        data = json.dumps([dict(zip(HEADER, row, strict=True)) for row in rows[1:]]).encode()
    (error,) = form_errors(upload(admin_client, data, f"customers.{file_format}"))
    assert error.startswith("The file has more than 2 rows. Split it into files of at most 2 rows")
    assert "import_customers / import_customer_users command" in error
    assert counts(upload(admin_client, plain_csv(rows[:3]))) == (2, 2, 0, 0)


# ---------------------------------------------------------------------------
# Who may import and export
# ---------------------------------------------------------------------------

STRICT_LIBRARY_SETTINGS = {
    # What a site might have set for django-import-export's own permission checks: they change nothing.
    "IMPORT_EXPORT_IMPORT_PERMISSION_CODE": "view",
    "IMPORT_EXPORT_EXPORT_PERMISSION_CODE": "delete",
}


def refused_import(client, model):
    assert client.get(url(model, "import")).status_code == 403
    data = plain_csv([HEADER, ["ACME", "Acme", "", "DE"]])
    response = client.post(url(model, "import"), {"format": "0", "import_file": SimpleUploadedFile("c.csv", data)})
    assert response.status_code == 403
    forged = {"import_file_name": "x", "original_file_name": "c.csv", "format": "0", "resource": ""}
    assert client.post(url(model, "process_import"), forged).status_code == 403
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("model", "permissions"),
    [
        (CUSTOMER, ("view",)),
        (CUSTOMER, ("view", "change")),
        (CUSTOMER, ("view", "add")),
        (CUSTOMER_USER, ("view",)),
        (CUSTOMER_USER, ("view", "change")),
    ],
)
def test_import_needs_add_and_change_permission(client, model, permissions):
    client.force_login(staff(*(f"{permission}_{model}" for permission in permissions)))
    refused_import(client, model)
    page = client.get(url(model, "changelist")).content.decode()
    assert url(model, "import") not in page
    assert url(model, "export") in page


def test_the_library_settings_change_no_permission(client, settings):
    for name, value in STRICT_LIBRARY_SETTINGS.items():
        setattr(settings, name, value)
    client.force_login(staff("view_customer", username="viewer"))
    refused_import(client, CUSTOMER)
    client.force_login(staff("add_customer", "change_customer", username="clerk"))
    assert url(CUSTOMER, "import") in client.get(url(CUSTOMER, "changelist")).content.decode()
    assert client.get(url(CUSTOMER, "import")).status_code == 200
    assert client.get(url(CUSTOMER, "export")).status_code == 200


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"directory": {"BACKEND": "tests.sources.DirectorySource"}}})
def test_without_a_writable_data_source_nobody_imports(admin_client):
    refused_import(admin_client, CUSTOMER)
    page = admin_client.get(url(CUSTOMER, "changelist")).content.decode()
    assert url(CUSTOMER, "import") not in page
    assert url(CUSTOMER, "export") in page


@pytest.mark.parametrize("model", [CUSTOMER, CUSTOMER_USER])
def test_a_clerk_with_add_and_change_permission_imports_and_the_history_names_them(client, model):
    user = staff(f"add_{model}", f"change_{model}")
    client.force_login(user)
    assert url(model, "import") in client.get(url(model, "changelist")).content.decode()
    if model == CUSTOMER:
        preview = upload(client, plain_csv([HEADER, ["ACME", "Acme", "", "DE"]]))
        expected = "Acme (ACME)"
    else:
        make_customer("ACME", "Acme")
        rows = [
            ["login", "first_name", "last_name", "email", "customer"],
            ["jdoe", "Jane", "Doe", "j@a.example", "ACME"],
        ]
        preview = upload(client, plain_csv(rows), model=model)
        expected = str(CustomerUser(login="jdoe", first_name="Jane", last_name="Doe"))
    confirm(client, preview, model)
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr, entry.action_flag) == (user, expected, ADDITION)


@pytest.mark.parametrize("model", [CUSTOMER, CUSTOMER_USER, "ticket"])
def test_export_needs_view_permission(client, model):
    client.force_login(staff(f"add_{model}", username="adder"))
    assert client.get(url(model, "export")).status_code == 403
    assert client.post(url(model, "export"), {"format": "0"}).status_code == 403

    client.force_login(staff(f"view_{model}", username="viewer"))
    page = document(client.get(url(model, "changelist")))
    assert elements(page, "a", href=lambda href: href.startswith(f"{url(model, 'export')}?"))
    assert client.get(url(model, "export")).status_code == 200
    response = client.post(url(model, "export"), {"format": "0"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_tickets_are_exported_not_imported(admin_client):
    with pytest.raises(NoReverseMatch):
        url("ticket", "import")
    with pytest.raises(NoReverseMatch):
        url("ticket", "process_import")
    page = admin_client.get(url("ticket", "changelist"))
    assert "/ticket/import/" not in page.content.decode()
    assert elements(document(page), "a", href=lambda href: href.startswith(f"{url('ticket', 'export')}?"))
    make_ticket(make_customer("A", "A"), "Printer")
    response = admin_client.get("/admin/otrs_customer_admin/ticket/import/", follow=True)
    assert "import_file" not in response.content.decode()


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        (CUSTOMER, "customer_id, name, street, zip, city, country, url, comment, valid, data_source"),
        (
            CUSTOMER_USER,
            "login, title, first_name, last_name, email, customer, phone, fax, mobile, street, zip, city, "
            "country, comment, valid, additional_customers, additional_emails, data_source",
        ),
    ],
)
def test_the_export_form_names_the_columns_of_the_file(admin_client, model, columns):
    # The import page leaves data_source out; the exported file has it.
    text = page_text(admin_client.get(url(model, "export")))
    assert f"This exporter will export the following fields: {columns} " in text
