"""The directory harness: a real slapd serves tests/data/directory.ldif and pages large searches."""

import pytest

pytestmark = [pytest.mark.harness, pytest.mark.ldap]


def search(connection, base, filterstr="(objectClass=*)", attrlist=None):
    import ldap

    return {
        dn: attrs for dn, attrs in connection.search_s(base, ldap.SCOPE_ONELEVEL, filterstr, attrlist) if dn is not None
    }


def test_the_directory_serves_the_customer_companies(ldap_connection, ldap_directory):
    companies = search(ldap_connection, ldap_directory.customers_dn, "(objectClass=organization)")

    assert sorted(attrs["o"][0].decode() for attrs in companies.values()) == [
        "ACME",
        "Globex",
        "Initech",
        "mueller-gmbh",
        "smith-sons",
    ]
    mueller = companies[f"o=mueller-gmbh,{ldap_directory.customers_dn}"]
    assert mueller["description"] == ["Müller & Söhne GmbH".encode()]
    assert mueller["street"] == ["Hauptstraße 5".encode()]
    assert mueller["postalCode"] == [b"80331"]
    assert mueller["l"] == ["München".encode()]


def test_the_directory_serves_customer_users_linked_to_their_company(ldap_connection, ldap_directory):
    users = search(ldap_connection, ldap_directory.people_dn, "(&(objectClass=inetOrgPerson)(o=ACME))", ["uid", "mail"])

    assert {attrs["uid"][0] for attrs in users.values()} == {b"wcoyote", b"rrunner"}
    assert users[f"uid=wcoyote,{ldap_directory.people_dn}"]["mail"] == [b"wile.coyote@acme.example"]


def test_a_search_filter_matches_escaped_special_characters(ldap_connection, ldap_directory):
    from ldap.filter import filter_format

    filterstr = filter_format("(description=%s)", ["Smith & Sons (UK) Ltd *"])
    companies = search(ldap_connection, ldap_directory.customers_dn, filterstr, ["o"])

    assert [attrs["o"] for attrs in companies.values()] == [[b"smith-sons"]]


def test_a_customer_user_binds_with_their_own_password(ldap_directory):
    import ldap

    connection = ldap.initialize(ldap_directory.uri)
    try:
        connection.simple_bind_s(f"uid=jmueller,{ldap_directory.people_dn}", ldap_directory.user_password)
        assert connection.whoami_s() == f"dn:uid=jmueller,{ldap_directory.people_dn}"
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            connection.simple_bind_s(f"uid=jmueller,{ldap_directory.people_dn}", "wrong")
    finally:
        connection.unbind_s()


def test_a_paged_search_returns_every_entry_across_pages(ldap_connection, ldap_directory):
    import ldap
    from ldap.controls import SimplePagedResultsControl

    page_size = 50
    control = SimplePagedResultsControl(True, size=page_size, cookie="")
    pages = []
    while True:
        msgid = ldap_connection.search_ext(
            ldap_directory.generated_dn, ldap.SCOPE_ONELEVEL, "(objectClass=organization)", ["o"], serverctrls=[control]
        )
        _type, entries, _msgid, controls = ldap_connection.result3(msgid)
        pages.append([dn for dn, _attrs in entries if dn is not None])
        cookies = [c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType]
        if not cookies or not cookies[0]:
            break
        control.cookie = cookies[0]

    assert [len(page) for page in pages] == [50, 50, 20]
    dns = [dn for page in pages for dn in page]
    assert len(set(dns)) == ldap_directory.generated_count == 120
    assert f"o=customer-120,{ldap_directory.generated_dn}" in dns


def test_a_size_limited_search_without_paging_is_refused(ldap_directory):
    """What paging is for: a size limit stops a plain search (here the client's; AD's server limit is 1000)."""
    import ldap

    connection = ldap.initialize(ldap_directory.uri)
    try:
        connection.simple_bind_s(ldap_directory.bind_dn, ldap_directory.bind_password)
        with pytest.raises(ldap.SIZELIMIT_EXCEEDED):
            connection.search_ext_s(
                ldap_directory.generated_dn, ldap.SCOPE_ONELEVEL, "(objectClass=organization)", ["o"], sizelimit=100
            )
    finally:
        connection.unbind_s()
