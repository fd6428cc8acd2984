"""The directory sync in the admin: status and buttons on the customer list, Sync now, Test connection,
read-only synced records and the list of sync runs."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test.utils import override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.jobs.backends import ImmediateBackend
from otrs_customer_admin.models import Customer, CustomerUser, Job, SyncRun
from tests.factories import make_customer
from tests.markup import attribute, document, element, elements, text

pytestmark = [pytest.mark.django_db, pytest.mark.ldap]

CHANGELIST = reverse("admin:otrs_customer_admin_customer_changelist")
SYNC = reverse("admin:otrs_customer_admin_customer_sync", args=["directory"])
TEST = reverse("admin:otrs_customer_admin_customer_sync_test", args=["directory"])
RUNS = reverse("admin:otrs_customer_admin_syncrun_changelist")
DATABASE = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
# Django's (6) or the django-tasks backport's (5.2) backend that runs a task at once.
IMMEDIATE_BACKEND = f"{ImmediateBackend.__module__}.{ImmediateBackend.__qualname__}"


@pytest.fixture
def directory(make_directory):
    directory = make_directory()
    with override_settings(
        OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": DATABASE, "directory": directory.source()}}
    ):
        yield directory


def staff(client, *codenames):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_the_customer_list_shows_the_last_sync_and_its_buttons(admin_client, directory):
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Company directory" in page and "Never synced." in page
    for action in (SYNC, TEST):  # the buttons: forms that post, with Django's CSRF token
        form = element(document(page), "form", action=action, method=lambda method: method.lower() == "post")
        assert elements(form, "input", type="hidden", name="csrfmiddlewaretoken"), action

    run_sync(get_data_source("directory"))
    page = admin_client.get(CHANGELIST).content.decode()
    assert "succeeded" in page
    assert "Customers: 4 created; Customer users: 4 created, 1 skipped" in page


def test_sync_now_runs_the_sync_and_reports_its_counts(admin_client, admin_user, directory):
    response = admin_client.post(SYNC, follow=True)

    assert response.redirect_chain[-1][0] == CHANGELIST
    page = response.content.decode()
    assert "Company directory synced. Customers: 4 created" in text(document(page))
    assert Customer.objects.filter(data_source="directory").count() == 4
    assert SyncRun.objects.get().user == admin_user


def test_sync_now_reports_a_failed_read(admin_client, directory):
    directory.server.stop()
    page = admin_client.post(SYNC, follow=True).content.decode()
    assert "Company directory: bind failed" in page
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED


def test_sync_now_and_test_connection_take_a_post_only(admin_client, directory):
    assert admin_client.get(SYNC).status_code == 405
    assert admin_client.get(TEST).status_code == 405
    assert not SyncRun.objects.exists()


def test_the_buttons_need_a_csrf_token(admin_user, directory):
    from django.test import Client

    checking = Client(enforce_csrf_checks=True)
    checking.force_login(admin_user)
    assert checking.post(SYNC).status_code == 403
    assert not SyncRun.objects.exists()


def test_users_without_change_permission_see_no_buttons_and_may_not_sync(client, directory):
    staff(client, "view_customer")
    page = client.get(CHANGELIST).content.decode()
    assert "Sync now" not in page and "Test connection" not in page
    assert client.post(SYNC).status_code == 403
    assert client.post(TEST).status_code == 403
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    ("codenames", "allowed"),
    [
        (["view_customer", "change_customer"], False),  # a sync writes customer users too
        (["view_customer", "change_customer", "change_customeruser"], True),
    ],
)
def test_syncing_needs_change_permission_on_customers_and_customer_users(client, directory, codenames, allowed):
    staff(client, *codenames)
    assert ("Sync now" in client.get(CHANGELIST).content.decode()) is allowed
    assert client.post(SYNC).status_code == (302 if allowed else 403)
    assert SyncRun.objects.exists() is allowed


def test_a_source_that_does_not_sync_has_no_sync_url(admin_client, directory):
    url = reverse("admin:otrs_customer_admin_customer_sync", args=["database"])
    assert admin_client.post(url).status_code == 404


def test_test_connection_shows_the_checks_counts_and_first_entries(admin_client, directory):
    page = admin_client.post(TEST).content.decode()
    assert "Test connection: Company directory" in page
    assert "Paged results supported" in page
    assert "Customers:\n" in page or "Customers:" in page
    assert "4 entries" in page and "5 entries" in page
    assert "uid=nomail,ou=people,dc=example,dc=com" in page
    assert "email: mail missing" in page
    assert not Customer.objects.exists()  # it only looks


def test_test_connection_lists_the_first_entries_in_unfolds_table(admin_client, directory):
    page = document(admin_client.post(TEST).content.decode())
    people = elements(page, "div", class_="otrs-sync-sample")[1]
    assert [text(header) for header in elements(people, "th")] == ["Entry", "Fields", "Attributes missing", "Problems"]
    rows = {text(elements(row, "td")[0]): elements(row, "td") for row in elements(people, "tr", class_="data-row")}
    nomail = rows["uid=nomail,ou=people,dc=example,dc=com"]
    assert "email: mail missing" in [text(line) for line in elements(nomail[2], "div", class_="otrs-sync-missing")]
    assert [text(line) for line in elements(nomail[3], "div", class_="otrs-sync-problem")] == ["Email is missing"]


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_with_a_task_backend_sync_now_queues_a_sync_job(
    admin_client, admin_user, directory, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(SYNC, follow=True)

    job = Job.objects.get()
    # The user lands on the sync job's page, which shows its progress.
    assert response.redirect_chain == [(reverse("admin:otrs_customer_admin_job_change", args=[job.pk]), 302)]
    page = response.content.decode()
    assert "The sync of Company directory is queued; this page shows its progress." in page
    assert "Sync of Company directory (job" in page
    assert not SyncRun.objects.exists()
    assert (job.kind, job.state, job.user, job.options["source"]) == ("sync", "queued", admin_user, "directory")
    [task] = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["args"]) == ("otrs_customer_admin.jobs.worker.run_job", [job.pk])


@pytest.mark.django_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE_BACKEND}})
def test_the_enqueued_sync_runs_the_sync_as_the_user_who_asked(admin_client, admin_user, directory):
    admin_client.post(SYNC)

    run = SyncRun.objects.get()
    assert (run.outcome, run.user) == (SyncRun.Outcome.SUCCEEDED, admin_user)
    assert Customer.objects.filter(data_source="directory").count() == 4


def test_synced_records_show_their_source_and_open_read_only(admin_client, directory):
    run_sync(get_data_source("directory"))
    acme = Customer.objects.get(customer_id="ACME")
    wile = CustomerUser.objects.get(login="wcoyote")

    assert "Company directory" in admin_client.get(CHANGELIST).content.decode()
    users = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_changelist")).content.decode()
    assert "Company directory" in users
    for name, obj in (("customer", acme), ("customeruser", wile)):
        change = admin_client.get(reverse(f"admin:otrs_customer_admin_{name}_change", args=[obj.pk])).content.decode()
        assert "read-only data source Company directory" in change
        assert 'name="_save"' not in change
        detail = admin_client.get(reverse(f"admin:otrs_customer_admin_{name}_detail", args=[obj.pk])).content.decode()
        assert "read-only data source Company directory" in detail
        assert "Set invalid" not in detail
    posted = admin_client.post(reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]), {"name": "x"})
    assert posted.status_code == 403


def test_the_sync_runs_are_listed_read_only(admin_client, directory):
    run_sync(get_data_source("directory"))
    run = SyncRun.objects.get()

    page = admin_client.get(RUNS).content.decode()
    assert "Company directory" in page and "succeeded" in page
    assert "Customers: 4 created" in page
    change = admin_client.get(reverse("admin:otrs_customer_admin_syncrun_change", args=[run.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.get(reverse("admin:otrs_customer_admin_syncrun_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:otrs_customer_admin_syncrun_delete", args=[run.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert SyncRun.objects.count() == 1


def test_sync_now_links_to_the_run_which_says_why_entries_were_skipped_or_conflict(admin_client, make_directory):
    from tests import harness

    people = f"ou=people,{harness.LDAP_SUFFIX}"
    # slapd's mdb keeps an RDN short (two copies in 511 bytes): a DN over 1,000 characters takes levels.
    deep = [f"ou={letter * 200}" for letter in "abcde"]
    long_dn, rlo_uid = ",".join(["uid=long", *reversed(deep), people]), "rlo\u202eevil"
    directory = make_directory()
    directory.add(
        "\n".join(
            [
                harness.person(f"uid=nul,{people}", "nul", "Nul", b"nul\x00@acme.example", o="ACME"),
                # A binary attribute where the sync wants text: not UTF-8.
                harness.person(f"uid=latin1,{people}", "latin1", "Latin", "l@acme.example", o="ACME", audio=b"M\xfc"),
                *(harness.unit(",".join([*deep[: n + 1][::-1], people]), deep[n][3:]) for n in range(len(deep))),
                harness.person(long_dn, "long", "Long", "long@acme.example", o="ACME"),
                harness.person(f"uid={rlo_uid},{people}", rlo_uid, "Rlo", o="ACME"),  # and no email
            ]
        )
    )
    make_customer("Globex", "Globex (ours)", country="US")
    source = directory.source(CUSTOMER_USER_ATTR_MAP={"fax": "audio"})
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": DATABASE, "directory": source}}):
        response = admin_client.post(SYNC, follow=True)

    run = SyncRun.objects.get()
    run_page = reverse("admin:otrs_customer_admin_syncrun_change", args=[run.pk])
    [message] = response.context["messages"]
    link = element(document(str(message)), "a")
    assert attribute(link, "href") == run_page
    assert text(link) == "Why 7 entries were not synced"

    kept = {entry["dn"]: entry["why"] for word in ("skipped", "conflicts") for entry in run.details[word]}
    assert kept[f"uid=nul,{people}"] == "Email: Null characters are not allowed. ('nul\\x00@acme.example')"
    assert kept[f"uid=latin1,{people}"] == "its audio is not UTF-8 text"
    assert kept[long_dn] == "its DN is longer than 1000 characters"
    assert "Email is missing" in kept[f"uid={rlo_uid},{people}"]
    assert (
        "CustomerID Globex belongs to a record of another data source"
        in kept[f"o=Globex,ou=america,ou=customers,{harness.LDAP_SUFFIX}"]
    )

    page = document(admin_client.get(run_page))
    items = elements(page, "li", class_="otrs-sync-detail")
    # Each DN and each reason in an isolate of its own: the override in a DN cannot reverse its reason.
    assert {text(dn): text(why) for dn, why in (elements(item, "bdi") for item in items)} == kept
    assert text(element(page, "div", data_details="skipped")).startswith("skipped: the first 6 of 6")
    assert text(element(page, "div", data_details="conflicts")).startswith("conflicts: the first 1 of 1")
