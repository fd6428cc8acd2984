"""Jobs in the admin: Import, Export and Sync now start a job and land on its page; the page shows
its progress (a status view polled by the page), Cancel, the report, an import preview's Confirm
and an export's Download; the Jobs list; who sees which job.

The jobs run in-process here (``runner.run``, what the worker does); the tests against a real
worker process are elsewhere. ``runner.run`` starts with ``close_old_connections()``, as a worker
does, so these tests commit (``transaction=True``).
"""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.jobs import channel, files, runner
from otrs_customer_admin.jobs.backends import ImmediateBackend
from otrs_customer_admin.models import Customer, Job, Ticket, Validity
from tests.factories import make_customer, make_ticket
from tests.markup import attribute, document, element, elements, text

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The immediate backend has no worker: the admin works in the request, as without any backend.
IMMEDIATE = {"default": {"BACKEND": f"{ImmediateBackend.__module__}.{ImmediateBackend.__qualname__}"}}
HEADER = ["CustomerID", "Name", "City", "Country"]


@pytest.fixture(autouse=True)
def jobs_on(settings, tmp_path):
    """A task backend with a worker (jobs available) and the job storage in a temporary directory."""
    settings.TASKS = TASKS
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def url(model, name, *args):
    return reverse(f"admin:otrs_customer_admin_{model}_{name}", args=args)


def job_url(job, name="change"):
    return url("job", name, job.pk)


def plain_csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def upload(client, rows, name="customers.csv", model="customer", **fields):
    data = {"format": "0", "import_file": SimpleUploadedFile(name, plain_csv(rows)), "default_country": "", **fields}
    return client.post(url(model, "import"), data)


def started_job(response, kind="import"):
    """The job a response started, after checking that the response leads to its page."""
    job = Job.objects.filter(kind=kind).latest("pk")
    assert response.status_code == 302
    assert response["Location"] == job_url(job)
    return job


def page(client, job):
    response = client.get(job_url(job))
    assert response.status_code == 200
    return document(response)


def staff(*codenames, username="clerk"):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


CLERK_PERMISSIONS = ("view_customer", "add_customer", "change_customer")


@pytest.fixture
def clerk(client):
    client.force_login(staff(*CLERK_PERMISSIONS))
    return client


def state_of(document_):
    return text(element(document_, "span", class_="otrs-job-state"))


# ---------------------------------------------------------------------------
# Import: upload, the preview's page, Confirm
# ---------------------------------------------------------------------------


def test_an_upload_becomes_a_job_whose_page_shows_the_preview_and_confirms_it(clerk):
    make_customer("ACME", "Acme", city="Berlin")
    response = upload(clerk, [HEADER, ["ACME", "Acme", "Hamburg", "DE"], ["GLOBEX", "Globex", "Springfield", "US"]])
    preview = started_job(response)
    assert (preview.preview, preview.state, preview.input_name) == (True, Job.State.QUEUED, "customers.csv")
    queued = page(clerk, preview)
    assert state_of(queued) == "queued"
    cancel_form = element(queued, "form", class_="otrs-job-cancel")
    # A busy database sends the user back to the job's page, not to the POST-only URL.
    assert attribute(element(cancel_form, "input", name="next"), "value") == job_url(preview)
    assert not Customer.objects.filter(customer_id="GLOBEX").exists()

    runner.run(preview.pk)
    checked = page(clerk, preview)
    assert state_of(checked) == "succeeded"
    assert "2 rows: 1 to create, 1 to update, 0 unchanged." in text(element(checked, "p", class_="otrs-import-counts"))
    rows = elements(element(checked, "div", class_="otrs-import-preview"), "tbody", data_change=True)
    assert [attribute(row, "data-change") for row in rows] == ["update", "new"]
    assert "Berlin → Hamburg" in text(rows[0])
    assert not elements(checked, "form", class_="otrs-job-cancel")
    assert Customer.objects.get(customer_id="ACME").city == "Berlin"  # nothing written by the preview

    confirm_form = element(checked, "form", class_="otrs-job-confirm")
    assert attribute(element(confirm_form, "input", name="next"), "value") == job_url(preview)
    confirmed = clerk.post(attribute(confirm_form, "action"))
    write = Job.objects.exclude(pk=preview.pk).get()
    assert confirmed["Location"] == job_url(write)
    assert (write.confirms, write.preview, write.state) == (preview, False, Job.State.QUEUED)

    runner.run(write.pk)
    done = page(clerk, write)
    assert state_of(done) == "succeeded"
    assert "2 rows: 1 created, 1 updated, 0 unchanged." in text(element(done, "p", class_="otrs-import-counts"))
    assert Customer.objects.get(customer_id="ACME").city == "Hamburg"
    assert Customer.objects.filter(customer_id="GLOBEX").exists()
    # The preview now links to its import instead of offering Confirm again.
    after = page(clerk, preview)
    assert not elements(after, "form", class_="otrs-job-confirm")
    assert attribute(element(after, "a", class_="otrs-job-confirm-link"), "href") == job_url(write)


def test_the_upload_forms_defaults_go_to_the_job(client):
    client.force_login(staff("view_customeruser", "add_customeruser", "change_customeruser"))
    make_customer("ACME", "Acme")
    rows = [["login", "first_name", "last_name", "email"], ["jdoe", "Jane", "Doe", "jane@example.com"]]
    job = started_job(
        upload(client, rows, name="people.csv", model="customeruser", default_country="AT", default_customer=" ACME ")
    )
    assert (job.options["default_country"], job.options["default_customer"]) == ("AT", "ACME")
    runner.run(job.pk)
    confirm = client.post(job_url(job, "confirm"))
    runner.run(Job.objects.get(confirms=job).pk)
    assert confirm.status_code == 302
    person = job.model_class.objects.get(login="jdoe")
    assert (person.customer.customer_id, person.country.code) == ("ACME", "AT")


def test_a_confirm_is_refused_when_the_data_changed_since_the_preview(clerk):
    acme = make_customer("ACME", "Acme", city="Berlin")
    preview = started_job(upload(clerk, [HEADER, ["ACME", "Acme", "Hamburg", "DE"]]))
    runner.run(preview.pk)
    acme.city = "Munich"  # someone else, between the preview and the confirm
    acme.save()

    clerk.post(job_url(preview, "confirm"))
    write = Job.objects.get(confirms=preview)
    runner.run(write.pk)

    done = page(clerk, write)
    assert state_of(done) == "failed"
    assert "nothing was written" in text(element(done, "p", class_="otrs-job-message"))
    assert elements(element(done, "ul", class_="otrs-import-problems"), "li")
    assert Customer.objects.get(customer_id="ACME").city == "Munich"


def test_a_preview_confirms_once(clerk):
    preview = started_job(upload(clerk, [HEADER, ["ACME", "Acme", "Berlin", "DE"]]))
    runner.run(preview.pk)
    clerk.post(job_url(preview, "confirm"))
    again = clerk.post(job_url(preview, "confirm"), follow=True)
    assert "This preview was confirmed already." in again.content.decode()
    assert Job.objects.filter(confirms=preview).count() == 1


def test_a_preview_with_problems_offers_no_confirm_and_refuses_one(clerk):
    preview = started_job(upload(clerk, [HEADER, ["ACME", "Acme", "Berlin", "Narnia"]]))
    runner.run(preview.pk)
    checked = page(clerk, preview)
    assert not elements(checked, "form", class_="otrs-job-confirm")
    [problem] = [text(item) for item in elements(element(checked, "ul", class_="otrs-import-problems"), "li")]
    assert problem.startswith("Line 2, Country: Unknown country 'Narnia'")
    refused = clerk.post(job_url(preview, "confirm"), follow=True)
    assert "it did not finish without problems" in refused.content.decode()
    assert not Job.objects.filter(confirms=preview).exists()


def test_with_jobs_the_upload_limit_is_job_max_upload_size(clerk, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"IMPORT_MAX_UPLOAD_SIZE": 10, "JOB_MAX_UPLOAD_SIZE": 60}
    rows = [HEADER, ["ACME", "Acme", "Berlin", "DE"]]  # over the request's limit, not the job's
    assert 10 < len(plain_csv(rows)) <= 60
    started_job(upload(clerk, rows))

    bigger = [*rows, ["GLOBEX", "Globex", "Springfield", "US"]]
    too_big = upload(clerk, bigger)
    assert too_big.status_code == 200
    [error] = too_big.context["form"].errors["import_file"]
    assert error.replace("\xa0", " ") == (
        f"The file is {len(plain_csv(bigger))} bytes; uploads take at most 60 bytes. "
        "Split it, or import it with the import_customers / import_customer_users command."
    )
    assert Job.objects.count() == 1


def test_a_file_over_job_max_rows_fails_with_a_sentence_saying_so(clerk, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"JOB_MAX_ROWS": 2}
    rows = [HEADER, *([f"C{number}", f"Company {number}", "Berlin", "DE"] for number in range(3))]
    job = started_job(upload(clerk, rows))
    runner.run(job.pk)
    done = page(clerk, job)
    assert state_of(done) == "failed"
    assert text(element(done, "p", class_="otrs-job-message")).startswith(
        "The file has more than 2 rows. Split it into files of at most 2 rows"
    )
    assert not Customer.objects.exists()


def test_without_jobs_the_upload_is_previewed_in_the_request(clerk, settings):
    settings.TASKS = IMMEDIATE
    response = upload(clerk, [HEADER, ["ACME", "Acme", "Berlin", "DE"]])
    assert response.status_code == 200
    assert "1 row: 1 to create, 0 to update, 0 unchanged." in response.content.decode()
    assert not Job.objects.exists()


def test_a_hostile_file_name_is_escaped_and_isolated(clerk):
    name = '<img src=x onerror="alert(1)">\u202eVSC.csv'
    job = started_job(upload(clerk, [HEADER, ["ACME", "Acme", "Berlin", "DE"]], name=name))
    html = clerk.get(job_url(job)).content.decode()
    assert "<img src=x" not in html
    shown = element(document(html), "dd", class_="otrs-job-file")
    assert text(shown) == job.input_name
    assert elements(shown, "bdi")
    listed = clerk.get(url("job", "changelist")).content.decode()
    assert "<img src=x" not in listed
    assert "&lt;img src=x" in listed


# ---------------------------------------------------------------------------
# Who may start, see and act on a job
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("permissions", [("view_customer",), ("view_customer", "change_customer")])
def test_without_import_permission_no_import_job_starts(client, permissions):
    client.force_login(staff(*permissions))
    assert upload(client, [HEADER, ["ACME", "Acme", "Berlin", "DE"]]).status_code == 403
    assert not Job.objects.exists()


def test_without_view_permission_no_export_job_starts(client):
    client.force_login(staff("add_customer"))
    assert client.post(url("customer", "export"), {"format": "0"}).status_code == 403
    assert not Job.objects.exists()


def test_a_user_who_lost_import_permission_cannot_confirm(client):
    user = staff(*CLERK_PERMISSIONS)
    client.force_login(user)
    preview = started_job(upload(client, [HEADER, ["ACME", "Acme", "Berlin", "DE"]]))
    runner.run(preview.pk)
    user.user_permissions.remove(Permission.objects.get(codename="add_customer"))
    client.force_login(User.objects.get(pk=user.pk))
    assert not elements(page(client, preview), "form", class_="otrs-job-confirm")
    assert client.post(job_url(preview, "confirm")).status_code == 403
    assert not Job.objects.filter(confirms=preview).exists()


def test_a_users_jobs_are_theirs_another_users_answer_404_a_superuser_sees_all(client, admin_user):
    alice = staff(*CLERK_PERMISSIONS, username="alice")
    bob = staff(*CLERK_PERMISSIONS, username="bob")
    client.force_login(alice)
    preview = started_job(upload(client, [HEADER, ["ACME", "Acme", "Berlin", "DE"]]))
    runner.run(preview.pk)
    export = started_job(client.post(url("customer", "export"), {"format": "0"}), kind="export")
    runner.run(export.pk)

    client.force_login(bob)
    own = started_job(upload(client, [HEADER, ["GLOBEX", "Globex", "Springfield", "US"]], name="bob.csv"))
    listed = document(client.get(url("job", "changelist")))
    assert "bob.csv" in text(listed) and "customers.csv" not in text(listed)
    for job in (preview, export):
        for name in ("change", "status", "download", "delete", "history"):
            assert client.get(job_url(job, name)).status_code == 404, name
        for name in ("cancel", "confirm"):
            assert client.post(job_url(job, name)).status_code == 404, name
    assert not Job.objects.filter(confirms=preview).exists()

    client.force_login(admin_user)
    everyone = text(document(client.get(url("job", "changelist"))))
    assert "bob.csv" in everyone and "customers.csv" in everyone
    assert client.get(job_url(preview)).status_code == 200
    assert client.get(job_url(own)).status_code == 200


def test_jobs_are_read_only_and_made_only_by_import_export_and_sync(admin_client):
    assert admin_client.get(reverse("admin:otrs_customer_admin_job_add")).status_code == 403
    listed = document(admin_client.get(url("job", "changelist")))
    assert not elements(listed, "a", href=reverse("admin:otrs_customer_admin_job_add"))


def test_every_staff_user_finds_jobs_in_the_sidebar(client):
    client.force_login(staff(*CLERK_PERMISSIONS))
    listed = document(client.get(url("customer", "changelist")))
    assert elements(listed, "a", href=url("job", "changelist"))
    assert client.get(url("job", "changelist")).status_code == 200


def test_the_list_filters_by_kind_and_state(admin_client, admin_user):
    Job.objects.create(kind=Job.Kind.EXPORT, model="otrs_customer_admin.customer", user=admin_user)
    Job.objects.create(
        kind=Job.Kind.IMPORT, model="otrs_customer_admin.customer", user=admin_user, state=Job.State.FAILED
    )
    exports = admin_client.get(url("job", "changelist"), {"kind__exact": "export"})
    assert exports.context["cl"].result_count == 1
    failed = admin_client.get(url("job", "changelist"), {"state__exact": "failed"})
    assert [job.kind for job in failed.context["cl"].result_list] == ["import"]


# ---------------------------------------------------------------------------
# Progress, the lost worker, Cancel
# ---------------------------------------------------------------------------


def running_job(user, **fields):
    return Job.objects.create(
        kind=Job.Kind.IMPORT,
        model="otrs_customer_admin.customer",
        user=user,
        preview=True,
        input_name="big.csv",
        state=Job.State.RUNNING,
        started_at=timezone.now() - timedelta(seconds=10),
        **fields,
    )


def test_the_status_view_gives_the_workers_progress(admin_client, admin_user):
    job = running_job(admin_user)
    reporter = channel.Reporter(job)
    reporter("check", 500, 2000)
    reporter.publish()

    status = admin_client.get(job_url(job, "status")).json()
    assert (status["state"], status["finished"], status["phase"], status["done"], status["total"]) == (
        "running",
        False,
        "check",
        500,
        2000,
    )
    assert status["percent"] == 25
    assert status["text"].startswith("checking: 500 of 2,000 rows · ")
    assert status["rows_per_second"] > 0

    reporter("check", 1500, 2000)
    reporter.publish()
    assert admin_client.get(job_url(job, "status")).json()["percent"] == 75


def test_without_javascript_the_page_shows_the_state_and_refreshes_itself(admin_client, admin_user):
    job = running_job(admin_user)
    reporter = channel.Reporter(job)
    reporter("check", 300, 1200)
    reporter.publish()

    html = document(admin_client.get(job_url(job)))
    assert state_of(html) == "running"
    assert text(element(html, "p", class_="otrs-job-progress-text")).startswith("checking: 300 of 1,200 rows")
    assert attribute(element(html, "div", role="progressbar"), "aria-valuenow") == "25"
    assert attribute(element(html, "div", class_="otrs-job-bar"), "style") == "width: 25%"
    refresh = element(element(html, "noscript"), "meta")
    assert attribute(refresh, "http-equiv") == "refresh"
    # The script polls the status URL the page names.
    assert attribute(element(html, "div", class_="otrs-job"), "data-status-url") == job_url(job, "status")
    assert elements(html, "script", src=lambda src: src.endswith("otrs_customer_admin/jobs.js"))
    assert elements(html, "link", href=lambda href: href.endswith("otrs_customer_admin/otrs_customer_admin.css"))

    runner.finish(job, Job.State.SUCCEEDED, "Checked.")
    finished = document(admin_client.get(job_url(job)))
    assert not elements(finished, "noscript")
    assert attribute(element(finished, "div", class_="otrs-job"), "data-status-url") is None


def test_the_page_marks_a_job_whose_worker_was_lost_failed(admin_client, admin_user):
    job = running_job(admin_user)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    html = document(admin_client.get(job_url(job)))
    assert state_of(html) == "failed"
    assert "The worker running this job stopped" in text(element(html, "p", class_="otrs-job-message"))


def test_cancel_of_a_queued_job_cancels_it_at_once(clerk):
    job = started_job(upload(clerk, [HEADER, ["ACME", "Acme", "Berlin", "DE"]]))
    response = clerk.post(job_url(job, "cancel"), follow=True)
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert "Cancelled before it started; nothing was written." in response.content.decode()
    runner.run(job.pk)
    assert not Customer.objects.exists()


def test_cancel_of_a_running_job_asks_its_worker(admin_client, admin_user):
    job = running_job(admin_user)
    response = admin_client.post(job_url(job, "cancel"))
    assert response["Location"] == job_url(job)
    assert channel.cancel_requested(job)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING  # until its worker sees the Cancel


def test_cancel_and_confirm_take_only_a_post_with_its_csrf_token(admin_user):
    job = running_job(admin_user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    for name in ("cancel", "confirm"):
        assert browser.get(job_url(job, name)).status_code == 405
        assert browser.post(job_url(job, name)).status_code == 403
    assert not channel.cancel_requested(job)


# ---------------------------------------------------------------------------
# Export: the list's records, Download
# ---------------------------------------------------------------------------


def downloaded(client, job):
    response = client.get(job_url(job, "download"))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode("utf-8-sig")


def test_an_export_job_has_the_lists_filters_and_search_and_downloads(clerk):
    make_customer("ACME", "Acme")
    make_customer("OLDCO", "Old Company", valid=Validity.INVALID)
    make_customer("OLDER", "Older Company", valid=Validity.INVALID)
    response = clerk.post(url("customer", "export") + "?validity=invalid&q=older", {"format": "0"})
    job = started_job(response, kind="export")
    assert job.options["records"]["kind"] == "changelist"

    runner.run(job.pk)
    done = page(clerk, job)
    assert state_of(done) == "succeeded"
    link = element(done, "a", class_="otrs-job-download-link")
    assert attribute(link, "href") == job_url(job, "download")
    file, content = downloaded(clerk, job)
    job.refresh_from_db()
    assert job.result_name.startswith("customers-")
    assert file["Content-Disposition"] == f'attachment; filename="{job.result_name}"'
    ids = [row[0] for row in csv.reader(io.StringIO(content))][1:]
    assert ids == ["OLDER"]


def test_a_ticket_export_job_has_the_ticket_lists_search(admin_client):
    acme = make_customer("ACME", "Acme")
    make_ticket(acme, "Printer on fire")
    make_ticket(acme, "Coffee machine empty")
    job = started_job(admin_client.post(url("ticket", "export") + "?q=printer", {"format": "0"}), kind="export")
    runner.run(job.pk)
    _file, content = downloaded(admin_client, job)
    header, *rows = list(csv.reader(io.StringIO(content)))
    titles = [row[header.index("title")] for row in rows]
    assert titles == ["Printer on fire"]
    assert Ticket.objects.count() == 2


def test_an_export_with_filters_the_list_does_not_know_starts_no_job(admin_client):
    response = admin_client.post(url("customer", "export") + "?nonsense=1", {"format": "0"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]
    assert not Job.objects.exists()


def test_an_expired_or_deleted_result_answers_404(admin_client):
    make_customer("ACME", "Acme")
    job = started_job(admin_client.post(url("customer", "export"), {"format": "0"}), kind="export")
    runner.run(job.pk)
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(result_expires_at=timezone.now() - timedelta(seconds=1))
    assert admin_client.get(job_url(job, "download")).status_code == 404
    assert "no longer kept" in text(page(admin_client, job))

    Job.objects.filter(pk=job.pk).update(result_expires_at=timezone.now() + timedelta(days=1))
    files.delete_file(job.result_file)
    assert admin_client.get(job_url(job, "download")).status_code == 404


def test_deleting_a_finished_job_deletes_its_files_a_running_one_stays(admin_client, admin_user, jobs_on):
    make_customer("ACME", "Acme")
    job = started_job(admin_client.post(url("customer", "export"), {"format": "0"}), kind="export")
    runner.run(job.pk)
    job.refresh_from_db()
    stored = jobs_on / job.result_file
    assert stored.exists()

    response = admin_client.post(job_url(job, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not stored.exists()

    running = running_job(admin_user)
    assert admin_client.post(job_url(running, "delete"), {"post": "yes"}).status_code == 403
    assert Job.objects.filter(pk=running.pk).exists()


def test_without_jobs_the_export_is_the_response(admin_client, settings):
    settings.TASKS = IMMEDIATE
    make_customer("ACME", "Acme")
    response = admin_client.post(url("customer", "export"), {"format": "0"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert not Job.objects.exists()


def test_the_json_of_a_finished_job_says_finished(admin_client):
    make_customer("ACME", "Acme")
    job = started_job(admin_client.post(url("customer", "export"), {"format": "0"}), kind="export")
    runner.run(job.pk)
    status = admin_client.get(job_url(job, "status")).json()
    assert (status["state"], status["finished"], status["percent"]) == ("succeeded", True, 100)
    assert json.loads(json.dumps(status)) == status


# ---------------------------------------------------------------------------
# Column mapping on a preview's page
# ---------------------------------------------------------------------------


def test_a_preview_with_unknown_columns_maps_them_and_previews_the_same_upload_again(clerk):
    rows = [["CustomerID", "Firma", "Ort", "Country"], ["ACME", "Acme", "Berlin", "DE"]]
    preview = started_job(upload(clerk, rows))
    runner.run(preview.pk)
    checked = page(clerk, preview)
    # "Firma" holds the name, which new customers need: refused until it is mapped.
    assert elements(checked, "ul", class_="otrs-import-problems")
    assert not elements(checked, "form", class_="otrs-job-confirm")
    form = element(checked, "form", class_="otrs-column-mapping-form")
    selects = {attribute(select, "name"): select for select in elements(form, "select")}
    assert sorted(selects) == ["column-1", "column-2"]  # the file's unknown columns, by position
    assert "country" not in [attribute(option, "value") for option in elements(selects["column-1"], "option")]

    forged = clerk.post(attribute(form, "action"), {"column-1": "password", "column-2": ""})
    assert forged.status_code == 400
    assert Job.objects.count() == 1

    mapped = clerk.post(attribute(form, "action"), {"column-1": "name", "column-2": "city"})
    again = Job.objects.exclude(pk=preview.pk).get()
    assert mapped["Location"] == job_url(again)
    assert (again.preview, again.input_file, again.options["mapping"]) == (
        True,
        preview.input_file,
        {"Firma": "name", "Ort": "city"},
    )
    runner.run(again.pk)
    remapped = page(clerk, again)
    assert "1 row: 1 to create, 0 to update, 0 unchanged." in text(element(remapped, "p", class_="otrs-import-counts"))
    assert not elements(remapped, "form", class_="otrs-column-mapping-form")
    clerk.post(attribute(element(remapped, "form", class_="otrs-job-confirm"), "action"))
    runner.run(Job.objects.latest("pk").pk)
    assert Customer.objects.filter(customer_id="ACME", name="Acme", city="Berlin").exists()
    # The first preview's upload is the one the others read: deleting that job keeps it.
    clerk.post(job_url(preview, "delete"), {"post": "yes"})
    assert files.read_file(again.input_file) is not None


def test_only_the_previews_starter_maps_its_columns(clerk, client):
    preview = started_job(upload(clerk, [["CustomerID", "Firma", "Country"], ["ACME", "Acme", "DE"]]))
    runner.run(preview.pk)
    other = Client()
    other.force_login(User.objects.create_superuser("root", password="pw"))
    assert not elements(page(other, preview), "form", class_="otrs-column-mapping-form")
    other.post(job_url(preview, "map"), {"column-1": "name"})
    assert Job.objects.count() == 1
