"""The admin import's stored uploads: the confirm step reads only the upload of the user's own,
current preview (a signed token, never a name or path from the browser), tampered or foreign
confirms answer 400 with a message, and uploads are deleted when their preview is refused, once
confirmed, and after IMPORT_PREVIEW_TTL (by the next import or manage.py clear_import_previews)."""

import io
import os
import tempfile
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import override_settings

from otrs_customer_admin.importexport import previews
from otrs_customer_admin.models import Customer
from tests.factories import make_customer
from tests.importing import plain_csv
from tests.markup import document, elements
from tests.test_admin_import_export import (
    CUSTOMER,
    CUSTOMER_USER,
    HEADER,
    confirm,
    confirm_fields,
    counts,
    messages_of,
    page_text,
    staff,
    upload,
    url,
)

pytestmark = pytest.mark.django_db

GOOD = plain_csv([HEADER, ["GLOBEX", "Globex", "Springfield", "US"]])
REFUSED = "This confirmation does not come from a preview of yours, so nothing was imported."


@pytest.fixture(autouse=True)
def temporary_directory(tmp_path, monkeypatch):
    """The system's temporary directory, for these tests alone (others may import meanwhile)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def files_under(path):
    return sorted(str(item.relative_to(path)) for item in path.rglob("*") if item.is_file())


def stored_uploads():
    folder = previews.directory()
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def age(name, seconds):
    """Make the stored upload ``name`` as old as ``seconds``, as if it had been waiting that long."""
    then = time.time() - seconds
    os.utime(previews.directory() / name, (then, then))


def refused(response, message=REFUSED, model=CUSTOMER):
    assert response.status_code == 400
    assert message in page_text(response)
    assert elements(document(response), "a", href=url(model, "import"))  # the way back: upload again


# ---------------------------------------------------------------------------
# The confirm step reads only the upload its preview stored
# ---------------------------------------------------------------------------


def test_a_confirm_cannot_name_another_file_of_the_temporary_directory(admin_client, temporary_directory):
    victim = temporary_directory / "victim2.csv"
    victim.write_bytes(plain_csv([HEADER, ["VICTIM", "Victim", "", "DE"]]))
    notes = temporary_directory / "victim-notes.txt"
    notes.write_text("not a customer file")
    preview = upload(admin_client, GOOD)
    # The library's hidden fields, pointed elsewhere: with the preview's token they change nothing...
    tampered = {**confirm_fields(preview), "import_file_name": "victim2.csv", "format": "0"}
    done = admin_client.post(url(CUSTOMER, "process_import"), tampered, follow=True)
    assert done.redirect_chain[-1][0] == url(CUSTOMER, "changelist")
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["GLOBEX"]
    # ...and without it they are refused, and the files stay as they were.
    for name in ("victim2.csv", "victim-notes.txt"):
        forged = {"import_file_name": name, "original_file_name": name, "format": "0", "resource": ""}
        refused(admin_client.post(url(CUSTOMER, "process_import"), forged))
    assert victim.exists() and notes.read_text() == "not a customer file"
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["GLOBEX"]


def test_another_users_preview_cannot_be_confirmed(client, temporary_directory):
    owner = staff("add_customer", "change_customer", username="owner")
    other = staff("add_customer", "change_customer", username="other")
    client.force_login(owner)
    preview = upload(client, GOOD)
    (stored,) = stored_uploads()

    client.force_login(other)
    refused(client.post(url(CUSTOMER, "process_import"), confirm_fields(preview)))
    assert not Customer.objects.exists() and stored_uploads() == [stored]

    client.force_login(owner)
    confirm(client, preview)
    assert Customer.objects.filter(customer_id="GLOBEX").exists()
    assert stored_uploads() == []  # confirmed: deleted


def test_a_customer_preview_cannot_be_confirmed_as_customer_users(admin_client):
    preview = upload(admin_client, GOOD)
    refused(admin_client.post(url(CUSTOMER_USER, "process_import"), confirm_fields(preview)), model=CUSTOMER_USER)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "tampered",
    [
        {"format": "99"},
        {"format": "abc"},
        {"resource": "7"},
        {"import_file_name": "."},
        {"import_file_name": ".."},
        {"token": "x"},
    ],
    ids=["format-99", "format-abc", "resource-7", "dot", "dot-dot", "token"],
)
def test_tampered_confirm_fields_get_a_message_and_400(admin_client, tampered):
    preview = upload(admin_client, GOOD)
    fields = {"import_file_name": "x", "original_file_name": "c.csv", "format": "0", "resource": "", **tampered}
    if "token" not in tampered:  # the library's fields alone, as a page from before the token sends them
        refused(admin_client.post(url(CUSTOMER, "process_import"), fields))
    # With the preview's token, only a changed token is refused; the rest is never read.
    response = admin_client.post(url(CUSTOMER, "process_import"), {**confirm_fields(preview), **tampered})
    if "token" in tampered:
        refused(response)
        assert not Customer.objects.exists()
    else:
        assert response.status_code == 302 and response["Location"] == url(CUSTOMER, "changelist")
        assert list(Customer.objects.values_list("customer_id", flat=True)) == ["GLOBEX"]


def resigned(token, when=None, **changes):
    """The token's preview with ``changes``, signed with the site's key (as at the time ``when``)."""
    data = {**signing.loads(token, salt=previews.TOKEN_SALT), **changes}
    signer = signing.TimestampSigner(salt=previews.TOKEN_SALT)
    if when is not None:
        signer.timestamp = lambda: signing.b62_encode(int(when))
    return signer.sign_object(data, compress=True)


def test_a_genuine_token_that_no_longer_fits_is_refused(admin_client):
    token = confirm_fields(upload(admin_client, GOOD))["token"]
    for changes in ({"format": 99}, {"resource": 7}, {"file": "../victim2.csv"}, {"user": "0"}):
        refused(admin_client.post(url(CUSTOMER, "process_import"), {"token": resigned(token, **changes)}))
    assert not Customer.objects.exists()


def test_an_expired_preview_says_so(admin_client):
    token = confirm_fields(upload(admin_client, GOOD))["token"]
    late = resigned(token, when=time.time() - 3601)
    message = "This preview has expired: a preview can be confirmed for 1 hour. Upload the file again."
    refused(admin_client.post(url(CUSTOMER, "process_import"), {"token": late}), message)
    with override_settings(OTRS_CUSTOMER_ADMIN={"IMPORT_PREVIEW_TTL": timedelta(hours=2)}):
        done = admin_client.post(url(CUSTOMER, "process_import"), {"token": late}, follow=True)
    assert done.redirect_chain[-1][0] == url(CUSTOMER, "changelist")
    assert Customer.objects.filter(customer_id="GLOBEX").exists()


# ---------------------------------------------------------------------------
# Uploads are deleted
# ---------------------------------------------------------------------------


def test_refused_previews_leave_no_file_behind(admin_client, temporary_directory):
    # A file with neither a CustomerID nor a name column.
    bad = plain_csv([["City", "Country"], *[[f"City {number:06d}", "Germany"] for number in range(10_000)]])
    for _attempt in range(5):
        preview = upload(admin_client, bad)
        assert "The file was rejected: 1 problem." in page_text(preview)
    unreadable = upload(admin_client, b"CustomerID,Name\n\xff\xfe\x00", "customers.xlsx")
    assert unreadable.context["form"].errors
    assert files_under(temporary_directory) == []


def test_a_preview_that_changes_nothing_offers_no_confirm_and_keeps_no_file(admin_client, temporary_directory):
    make_customer("GLOBEX", "Globex", city="Springfield", country="US")
    preview = upload(admin_client, GOOD)
    assert counts(preview) == (1, 0, 0, 1)
    assert "1 row: 0 to create, 0 to update, 1 unchanged." in page_text(preview)
    assert "Nothing to import: every row matches the data as it is." in page_text(preview)
    assert confirm_fields(preview) is None and "Confirm import" not in page_text(preview)
    assert files_under(temporary_directory) == []


def test_the_next_import_deletes_abandoned_uploads(admin_client):
    upload(admin_client, GOOD)
    (abandoned,) = stored_uploads()
    age(abandoned, 3601)
    preview = upload(admin_client, GOOD)
    (waiting,) = stored_uploads()
    assert waiting != abandoned
    age(waiting, 3599)
    admin_client.get(url(CUSTOMER, "import"))
    assert stored_uploads() == [waiting]  # younger than IMPORT_PREVIEW_TTL: its preview may still be confirmed
    confirm(admin_client, preview)
    assert stored_uploads() == []


def test_a_confirm_after_the_upload_was_cleared_says_so(admin_client):
    preview = upload(admin_client, GOOD)
    (stored,) = stored_uploads()
    (previews.directory() / stored).unlink()
    done = confirm(admin_client, preview)
    assert done.redirect_chain[-1][0] == url(CUSTOMER, "import")
    assert messages_of(done) == [
        "The uploaded file is no longer available: it was imported already, or the upload expired. "
        "Upload the file again to see its preview."
    ]
    assert not Customer.objects.exists()


def test_clear_import_previews_deletes_only_expired_uploads_of_its_own(admin_client, temporary_directory):
    for _upload in range(3):
        upload(admin_client, GOOD)
    old, older, young = stored_uploads()
    age(old, 3601)
    age(older, 86_400)
    foreign = previews.directory() / "notes.txt"
    foreign.write_text("someone else's")
    outside = temporary_directory / "preview-00000000000000000000000000000000.upload"
    outside.write_text("not in the previews' directory")
    os.utime(foreign, (0, 0))
    os.utime(outside, (0, 0))

    output = io.StringIO()
    call_command("clear_import_previews", stdout=output)
    assert output.getvalue() == "Removed 2 expired import preview uploads.\n"
    assert stored_uploads() == sorted([young, "notes.txt"])
    assert outside.exists()

    output = io.StringIO()
    call_command("clear_import_previews", stdout=output)
    assert output.getvalue() == "Removed 0 expired import preview uploads.\n"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")
def test_the_uploads_directory_is_private(admin_client):
    upload(admin_client, GOOD)
    (stored,) = stored_uploads()
    assert previews.directory().stat().st_mode & 0o777 == 0o700
    assert (previews.directory() / stored).stat().st_mode & 0o777 == 0o600
