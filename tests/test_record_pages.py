"""The record pages' one base (``admin.mixins.pages.RecordPageMixin``): each page's own queryset
whatever URL brought the request, the per-model template, and the detail page's actions
(Edit, then unfold's ``actions_detail``), on the package's admins and on a site's own.

The module is also a URLconf (``pytest.mark.urls``): a site whose customer admin adds a detail
action of its own.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission, User
from django.http import HttpResponseRedirect
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from unfold.sites import UnfoldAdminSite

from otrs_customer_admin.admin.customer import CustomerAdmin
from otrs_customer_admin.admin.mixins import record_action
from otrs_customer_admin.models import Customer, CustomerUser, Ticket, TicketState, Validity
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket
from tests.markup import action_groups, document, element, text

pytestmark = pytest.mark.django_db


class LetterCustomerAdmin(CustomerAdmin):
    """A site's customer admin with one more detail action, for users who may change the customer."""

    actions_detail = [*CustomerAdmin.actions_detail, "send_letter"]

    @record_action(permission="change", description=gettext_lazy("Send a letter"), url_path="letter", icon="mail")
    def send_letter(self, request, obj):
        return HttpResponseRedirect(self.admin_url("detail", quote(obj.pk)))


letters_site = UnfoldAdminSite(name="letters")
letters_site.register(Customer, LetterCustomerAdmin)
urlpatterns = [path("admin/", admin.site.urls), path("letters/", letters_site.urls)]


@pytest.fixture
def superuser():
    return User.objects.create_superuser("boss", "boss@example.com", "pw")


@pytest.fixture
def acme_with_people():
    acme = make_customer()
    jane = make_customer_user(acme)
    other = make_customer(customer_id="GLOBEX", name="Globex")
    also = make_customer_user(other, login="jim", first_name="Jim", last_name="Halpert")
    also.additional_customers.add(acme)
    make_ticket(acme, customer_user=jane, state=TicketState.OPEN)
    make_ticket(acme, customer_user=jane, state=TicketState.CLOSED_SUCCESSFUL)
    return acme


def bare_request(user, path="/"):
    """A request as a test's ``RequestFactory`` or a site's own view gives it: no URL was resolved."""
    request = RequestFactory().get(path)
    request.user = user
    assert request.resolver_match is None
    return request


def model_admin(model, site=admin.site):
    return site.get_model_admin(model)


def page_text(response):
    return text(document(response.render().content.decode()))


# --- each page's own queryset, whatever the URL ---------------------------------------------


def test_a_customer_card_called_directly_shows_its_counts(superuser, acme_with_people):
    response = model_admin(Customer).card_view(bare_request(superuser), str(acme_with_people.pk))
    said = page_text(response)
    assert "1 own, 1 also works here" in said
    assert "1 open, 1 closed" in said


def test_a_customer_user_card_and_detail_page_called_directly_show_the_ticket_counts(superuser, acme_with_people):
    jane = CustomerUser.objects.get(login="jdoe")
    user_admin = model_admin(CustomerUser)
    assert "1 open, 1 closed" in page_text(user_admin.card_view(bare_request(superuser), str(jane.pk)))
    detail = document(user_admin.detail_view(bare_request(superuser), str(jane.pk)).render().content.decode())
    counts = element(detail, "ul", class_="otrs-ticket-counts")
    assert text(counts) == "1 open 1 closed"


def test_a_ticket_detail_page_called_directly_has_its_customer_person_and_sla_in_one_query(
    superuser, acme, django_assert_num_queries
):
    jane = make_customer_user(acme)
    ticket = make_ticket(acme, customer_user=jane, sla=make_sla())
    request = bare_request(superuser)
    with django_assert_num_queries(1):
        shown = model_admin(Ticket).detail_view(request, str(ticket.pk)).context_data["original"]
        assert (shown.customer.name, shown.customer_user.login, shown.sla.name) == ("Acme Corporation", "jdoe", "Gold")


# --- the per-model template ---------------------------------------------------------------


@pytest.fixture
def own_customer_detail(tmp_path, settings):
    """A site's own ``otrs_customer_admin/customer/detail.html``, in a template directory of the site."""
    template = tmp_path / "otrs_customer_admin" / "customer" / "detail.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '{% extends "otrs_customer_admin/detail.html" %}'
        '{% block widgets %}<p id="own-detail">Our own page of {{ original.name }}</p>{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


def test_a_models_own_detail_template_is_used_when_the_site_has_one(admin_client, acme, own_customer_detail):
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])))
    assert text(element(page, "p", id="own-detail")) == "Our own page of Acme Corporation"
    assert text(element(page, "h2", class_="otrs-detail-title")) == "Acme Corporation (ACME)"


def test_without_its_own_template_a_model_has_the_shared_detail_page(admin_client, acme, own_customer_detail):
    jane = make_customer_user(acme)
    response = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk]))
    names = [template.name for template in response.templates]
    assert "otrs_customer_admin/detail.html" in names and "otrs_customer_admin/customeruser/detail.html" not in names
    assert 'id="own-detail"' not in response.content.decode()
    assert 'class="otrs-widgets"' in response.content.decode()


def test_the_ticket_page_is_the_tickets_own_detail_template(admin_client, acme):
    ticket = make_ticket(acme)
    response = admin_client.get(reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]))
    assert [template.name for template in response.templates][:2] == [
        "otrs_customer_admin/ticket/detail.html",
        "otrs_customer_admin/detail.html",
    ]


# --- the detail page's actions ------------------------------------------------------------


@pytest.mark.urls("tests.test_record_pages")
def test_a_sites_own_detail_action_follows_edit_and_set_invalid_which_comes_once(admin_client, acme):
    def url(view):
        return reverse(f"letters:otrs_customer_admin_customer_{view}", args=[quote(acme.pk)])

    page = admin_client.get(url("detail")).content.decode()
    organize = action_groups(document(page))["Organize"]
    assert organize == [
        ("Edit", url("change")),
        ("Set invalid", url("invalidate")),
        ("Send a letter", url("send_letter")),
    ]
    # The change form offers the same unfold actions.
    form = admin_client.get(url("change")).content.decode()
    assert form.count(url("invalidate")) == 1 and url("send_letter") in form


@pytest.mark.urls("tests.test_record_pages")
def test_a_view_only_user_sees_no_detail_action(client, acme):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    client.force_login(user)
    page = client.get(reverse("letters:otrs_customer_admin_customer_detail", args=[acme.pk])).content.decode()
    assert action_groups(document(page)) == {}
    assert "Send a letter" not in page and "Set invalid" not in page


def test_set_invalid_is_offered_once_on_the_detail_page(admin_client, acme):
    page = admin_client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])).content.decode()
    titles = [title for group in action_groups(document(page)).values() for title, _href in group]
    assert titles.count("Set invalid") == 1
    assert page.count(reverse("admin:otrs_customer_admin_customer_invalidate", args=[acme.pk])) == 1


# --- Set invalid's permission: the record or None, as has_change_permission -------------------


@pytest.mark.parametrize("model", [Customer, CustomerUser])
def test_has_invalidate_permission_takes_the_record_or_none(superuser, acme, model):
    record = acme if model is Customer else make_customer_user(acme)
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    record_admin = model_admin(model)
    assert record_admin.has_invalidate_permission(bare_request(superuser), record)
    assert record_admin.has_invalidate_permission(bare_request(superuser))  # some record, as Django asks
    assert not record_admin.has_invalidate_permission(bare_request(viewer), record)
    assert not record_admin.has_invalidate_permission(bare_request(viewer))
    model.objects.filter(pk=record.pk).update(valid=Validity.INVALID)
    record.refresh_from_db()
    assert not record_admin.has_invalidate_permission(bare_request(superuser), record)
