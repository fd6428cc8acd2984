"""Every admin URL of the package, walked with anonymous, no-permission, view-only,
change and superuser accounts: Django's model permissions govern everything."""

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from otrs_customer_admin.admin_urls import may_change_people
from otrs_customer_admin.models import SLA, Customer
from tests.factories import make_customer, make_customer_user, make_ticket
from tests.markup import action_groups, document

pytestmark = pytest.mark.django_db

MODELS = ["customer", "customeruser", "ticket", "sla"]

# (url name, needs an object, expected status per account)
ANON, NOPERM, VIEW, CHANGE, SUPER = "anonymous", "no permission", "view-only", "change", "superuser"
OK, LOGIN, FORBIDDEN = 200, 302, 403


def expect(anonymous, no_permission, view_only, change, superuser):
    return {ANON: anonymous, NOPERM: no_permission, VIEW: view_only, CHANGE: change, SUPER: superuser}


RECORD_URLS = {
    "changelist": (False, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "add": (False, expect(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)),
    "change": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "history": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    # Nothing is deleted unless ALLOW_DELETE is on.
    "delete": (True, expect(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "detail": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "card": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "invalidate": (True, expect(LOGIN, FORBIDDEN, FORBIDDEN, OK, OK)),
}
PLAIN_URLS = {
    "changelist": (False, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "add": (False, expect(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)),
    "change": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "history": (True, expect(LOGIN, FORBIDDEN, OK, OK, OK)),
    "delete": (True, expect(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)),
}
TICKET_URLS = {**PLAIN_URLS, "detail": RECORD_URLS["detail"]}
URLS = {"customer": RECORD_URLS, "customeruser": RECORD_URLS, "ticket": TICKET_URLS, "sla": PLAIN_URLS}

CASES = [
    (model, name, account)
    for model in MODELS
    for name in URLS[model]
    for account in (ANON, NOPERM, VIEW, CHANGE, SUPER)
]


@pytest.fixture
def records():
    customer = make_customer("ACME", "Acme")
    user = make_customer_user(customer, "jdoe", "J", "D", email="j@a.example")
    sla = SLA.objects.create(name="Gold", solution_time=60)
    # A ticket without links, so that the superuser may delete it (protected links aside).
    ticket = make_ticket(customer, "Printer")
    return {"customer": customer, "customeruser": user, "ticket": ticket, "sla": sla}


def account(kind):
    if kind == ANON:
        return None
    if kind == SUPER:
        return User.objects.create_superuser("root", "root@example.com", "pw")
    user = User.objects.create_user(kind.replace(" ", "-"), password="pw", is_staff=True)
    actions = {NOPERM: [], VIEW: ["view"], CHANGE: ["view", "change"]}[kind]
    codenames = [f"{action}_{model}" for action in actions for model in MODELS]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


@pytest.mark.parametrize("model, name, kind", CASES, ids=[f"{m}-{n}-{k}" for m, n, k in CASES])
def test_status_of_every_admin_url(client, records, model, name, kind):
    needs_object, expected = URLS[model][name]
    args = [records[model].pk] if needs_object else []
    url = reverse(f"admin:otrs_customer_admin_{model}_{name}", args=args)
    user = account(kind)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == expected[kind], f"{kind} GET {url}"
    if expected[kind] == LOGIN:
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", ["customer", "customeruser"])
def test_a_view_only_user_sees_no_add_edit_or_invalidate_controls(client, records, model):
    client.force_login(account(VIEW))
    obj = records[model]
    listing = client.get(reverse(f"admin:otrs_customer_admin_{model}_changelist")).content.decode()
    detail = client.get(reverse(f"admin:otrs_customer_admin_{model}_detail", args=[obj.pk])).content.decode()
    change = reverse(f"admin:otrs_customer_admin_{model}_change", args=[obj.pk])
    # The breadcrumb may link the read-only view page; no control may offer editing.
    # The one action a viewer has: a customer user's export of personal data (GDPR Art. 15).
    offered = [title for group in action_groups(document(detail)).values() for title, _url in group]
    assert offered == ([] if model == "customer" else ["Export personal data"])
    for page in (listing, detail):
        assert reverse(f"admin:otrs_customer_admin_{model}_add") not in page
        assert reverse(f"admin:otrs_customer_admin_{model}_invalidate", args=[obj.pk]) not in page
        assert "otrs-edit-link" not in page
    form = client.get(change).content.decode()
    assert 'name="_save"' not in form
    assert "Set invalid" not in form


@pytest.mark.parametrize("model", ["customer", "customeruser"])
def test_state_changes_refuse_get_side_effects_and_need_csrf(records, model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(account(SUPER))
    obj = records[model]
    url = reverse(f"admin:otrs_customer_admin_{model}_invalidate", args=[obj.pk])
    assert client.get(url).status_code == OK
    assert client.post(url).status_code == FORBIDDEN
    obj.refresh_from_db()
    assert obj.is_valid


@pytest.mark.parametrize(
    "codenames, people",
    [
        ([], False),
        (["change_customer"], False),
        (["change_customeruser"], False),
        (["change_customer", "change_customeruser"], True),
    ],
)
def test_syncing_and_merging_need_change_permission_on_customers_and_customer_users(rf, records, codenames, people):
    # One rule (admin_urls.may_change_people) for both, since each writes customers and customer users.
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    request = rf.get("/admin/")
    request.user = User.objects.get(pk=user.pk)  # fresh, without a permission cache
    customer_admin = site.get_model_admin(Customer)
    assert may_change_people(site, request) is people
    assert customer_admin.has_sync_permission(request) is people
    assert customer_admin.has_merge_permission(request, records["customer"]) is people
