"""``register(site)`` on a second admin site with another name: every page of the package
works there, and every link it shows stays on that site."""

import pytest
from django.contrib.admin.utils import quote
from django.utils import timezone

from otrs_customer_admin.models import TicketState
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket
from tests.markup import attribute, document, elements, text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.second_site_urls")]

SITE = "/helpdesk/otrs_customer_admin"


# unfold's sidebar: its navigation is the site's settings, shared by all its admin sites.
SIDEBAR_ID = "nav-sidebar-inner"


def links_of(response):
    """Every href, form action and business-card URL of a page, outside unfold's sidebar."""
    assert response.status_code == 200, response.status_code
    page = document(response)
    sidebar = {id(node) for nav in elements(page, "nav", id=SIDEBAR_ID) for node in elements(nav)}
    return [
        value
        for node in elements(page)
        if id(node) not in sidebar
        for name in ("href", "action", "data-otrs-card")
        if (value := attribute(node, name)) and not value.startswith("/static/")
    ]


def package_links(links):
    return [link for link in links if "/otrs_customer_admin/" in link]


@pytest.fixture
def records():
    """Acme, Jane Doe of Acme, and her escalated ticket."""
    customer = make_customer(url="https://records.example")
    person = make_customer_user(customer)
    sla = make_sla(first_response_time=60)
    make_ticket(
        customer,
        customer_user=person,
        sla=sla,
        state=TicketState.OPEN,
        created_at=timezone.now() - timezone.timedelta(hours=3),
    )
    return customer, person


def test_the_customer_detail_view_and_its_widgets_link_to_the_same_site(admin_client, records):
    customer, person = records
    links = package_links(links_of(admin_client.get(f"{SITE}/customer/{quote(customer.pk)}/detail/")))
    assert links, "the detail view shows no links of the package"
    assert all(link.startswith(SITE) for link in links), [link for link in links if not link.startswith(SITE)]
    # Customer Information (edit), the escalated ticket, the person and their card, Add Customer User.
    assert f"{SITE}/customer/{customer.pk}/change/" in links
    assert f"{SITE}/customeruser/{person.pk}/detail/" in links
    assert f"{SITE}/customeruser/{person.pk}/card/" in links
    assert f"{SITE}/customeruser/add/?customer={customer.pk}" in links
    assert f"{SITE}/customer/{customer.pk}/invalidate/" in links
    assert any(link.startswith(f"{SITE}/ticket/") for link in links)


def test_the_customer_user_detail_view_links_to_the_same_site(admin_client, records):
    customer, person = records
    links = package_links(links_of(admin_client.get(f"{SITE}/customeruser/{person.pk}/detail/")))
    assert all(link.startswith(SITE) for link in links), [link for link in links if not link.startswith(SITE)]
    assert f"{SITE}/customer/{customer.pk}/detail/" in links
    assert f"{SITE}/customer/{customer.pk}/card/" in links


def test_lists_and_cards_link_to_the_same_site(admin_client, records):
    customer, person = records
    for page in ("customer/", "customeruser/", "ticket/"):
        links = package_links(links_of(admin_client.get(f"{SITE}/{page}")))
        assert links, page
        assert all(link.startswith(SITE) for link in links), (
            page,
            [link for link in links if not link.startswith(SITE)],
        )
    assert f"{SITE}/customer/{customer.pk}/card/" in package_links(links_of(admin_client.get(f"{SITE}/customer/")))
    for model, obj in (("customer", customer), ("customeruser", person)):
        card = admin_client.get(f"{SITE}/{model}/{obj.pk}/card/")
        assert card.status_code == 200
        assert str(obj.customer_id if model == "customer" else obj.login) in text(document(card))


def test_set_invalid_works_on_the_second_site(admin_client, records):
    customer, _person = records
    url = f"{SITE}/customer/{customer.pk}/invalidate/"
    change_form_links = package_links(links_of(admin_client.get(f"{SITE}/customer/{customer.pk}/change/")))
    assert url in change_form_links
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{SITE}/customer/{customer.pk}/detail/"
    customer.refresh_from_db()
    assert not customer.is_valid
