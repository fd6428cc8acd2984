"""OTRS search syntax (docs/admin.md, "Search"): the parser, and what it finds in real customer rows."""

import functools
import operator
import random
import string

import pytest
from django.db.models import Q

from otrs_customer_admin.models import Customer, CustomerUser
from otrs_customer_admin.search import (
    MAX_LENGTH,
    MAX_TERMS,
    SearchSyntaxError,
    folded_search_fields,
    search_q,
    search_q_or_literal,
)
from tests.factories import build_customer, build_customer_user, make_customer, make_customer_user

FIELDS = ["customer_id", "name", "city"]

# customer_id, name, city
ROWS = [
    ("ACME", "Acme Corporation", "Berlin"),
    ("ACXYZME", "AcXYZme Trading", "Hamburg"),
    ("SANDSTONE", "Sand and Stone", "Bremen"),
    ("SANDY", "Sandy Beach", "Kiel"),
    ("STONEAGE", "Stone Age", "Bremen"),
    ("ORBIT", "Orbit Logistics", "München"),
    ("MUELLER", "Müller GmbH", "Düsseldorf"),
    ("GROSS", "Großhandel Weiß", "Essen"),
    ("PLUS", "a+b Consulting", "Bonn"),
    ("PCT", "Save 50% Now", "Ulm"),
    ("PCTDECOY", "Save 50 Percent Now", "Ulm"),
    ("SNAKE", "snake_case Ltd", "Trier"),
    ("SNAKEDECOY", "snakeXcase Ltd", "Trier"),
    ("DOT", "Dot.Com Inc", "Mainz"),
    ("DOTDECOY", "DotXCom Inc", "Mainz"),
    ("BRACKET", "Bracket [EU] GmbH", "Aachen"),
    ("DOLLAR", "Dollar $ Store", "Kassel"),
    ("QUOTE", 'The "Best" Shop', "Jena"),
    ("YAHOO", "Yahoo! Europe", "Dublin"),
]
ALL = {row[0] for row in ROWS}


@pytest.fixture
def customers(db):
    Customer.objects.bulk_create(build_customer(customer_id, name, city=city) for customer_id, name, city in ROWS)


def found(query, fields=FIELDS):
    return set(Customer.objects.filter(search_q(query, fields)).values_list("customer_id", flat=True))


def error_of(query):
    with pytest.raises(SearchSyntaxError) as caught:
        search_q(query, FIELDS)
    return caught.value


# --- Behaviour against the database --------------------------------------------------------------


@pytest.mark.usefixtures("customers")
class TestMatching:
    def test_a_term_is_a_substring_of_any_field(self):
        assert found("corp") == {"ACME"}  # name
        assert found("xyz") == {"ACXYZME"}  # customer_id and name
        assert found("ssel") == {"DOLLAR", "MUELLER"}  # city: Kassel, Düsseldorf

    def test_matching_ignores_case(self):
        assert found("ACME CORPORATION") == found("acme corporation") == {"ACME"}
        assert found("bErLiN") == {"ACME"}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("ac*me", {"ACME", "ACXYZME"}),
            ("*tone", {"SANDSTONE", "STONEAGE"}),
            ("Stone*", {"SANDSTONE", "STONEAGE"}),
            ("*cme*", {"ACME"}),
            ("s*d*e", {"SANDSTONE", "SANDY", "SNAKEDECOY"}),  # SNAKEDECOY: S, D, E
            ("s*d*b", {"SANDY"}),
            ("AC*ME TRA*", {"ACXYZME"}),
        ],
    )
    def test_wildcards_at_start_middle_and_end(self, query, expected):
        assert found(query) == expected

    @pytest.mark.parametrize("query", ["*", "**", "***", " ** "])
    def test_wildcards_alone_match_everything(self, query):
        assert found(query) == ALL

    def test_spaces_are_not_operators(self):
        assert found("Sand and Stone") == {"SANDSTONE"}
        assert found("Sand   and \t Stone") == {"SANDSTONE"}  # words join with single spaces
        assert found("Sand Stone") == set()

    @pytest.mark.parametrize("query", ["Sand AND Stone", "Sand + Stone", "Sand+Stone", "Sand && Stone", "Sand&&Stone"])
    def test_and(self, query):
        assert found(query) == {"SANDSTONE"}

    @pytest.mark.parametrize("query", ["Sand OR Stone", "Sand || Stone", "Sand||Stone"])
    def test_or(self, query):
        assert found(query) == {"SANDSTONE", "SANDY", "STONEAGE"}

    @pytest.mark.parametrize("query", ["Stone AND !Sand", "Stone && NOT Sand", "Stone+!Sand", "!Sand AND Stone"])
    def test_not(self, query):
        assert found(query) == {"STONEAGE"}

    def test_not_alone_and_not_of_a_group(self):
        assert found("!Bremen") == ALL - {"SANDSTONE", "STONEAGE"}
        assert found("NOT Bremen") == ALL - {"SANDSTONE", "STONEAGE"}
        assert found("!(Sand || Stone)") == ALL - {"SANDSTONE", "SANDY", "STONEAGE"}
        assert found("!!Bremen") == {"SANDSTONE", "STONEAGE"}
        assert found("!*") == set()

    def test_not_means_no_field_contains_the_term(self):
        # "Mainz" is the city of DOT and DOTDECOY; "Dot.Com" only the name of DOT.
        assert found("Mainz AND !dot.com") == {"DOTDECOY"}

    def test_not_binds_tighter_than_and_and_and_tighter_than_or(self):
        assert found("Sandy OR Sand AND Stone") == {"SANDY", "SANDSTONE"}
        assert found("Sand AND Stone OR Sandy") == {"SANDY", "SANDSTONE"}
        assert found("(Sandy OR Sand) AND Stone") == {"SANDSTONE"}
        assert found("!Sand AND Stone OR Kiel") == {"STONEAGE", "SANDY"}
        assert found("!(Sand AND Stone) AND Bremen") == {"STONEAGE"}

    def test_nested_parentheses(self):
        assert found("((Acme || Orbit) && (Berlin || (München)))") == {"ACME", "ORBIT"}
        assert found("(((acme)))") == {"ACME"}

    def test_upper_case_operator_words_only_stand_alone(self):
        assert found("ORBIT") == {"ORBIT"}
        assert found("SANDSTONE") == {"SANDSTONE"}
        assert found("NOTHING") == set()  # one word, not NOT + "HING"

    def test_lower_case_and_or_not_are_plain_words(self):
        assert found("Sand and Stone") == {"SANDSTONE"}
        assert found("Orbit or Acme") == set()
        assert found("orbit") == {"ORBIT"}

    def test_quoted_phrases_are_literal(self):
        assert found('"Stone AND Sand"') == set()  # the words, not the operator
        assert found("Stone AND Sand") == {"SANDSTONE"}
        assert found('"sand and stone"') == {"SANDSTONE"}
        assert found('"a+b"') == {"PLUS"}
        assert found('"Yahoo!"') == {"YAHOO"}
        assert found('"ac*me"') == set()  # no wildcard inside quotes
        assert found('"(EU)"') == set()
        assert found('"[EU]"') == {"BRACKET"}

    def test_quotes_join_with_neighbouring_words(self):
        assert found('Sand "and" Stone') == {"SANDSTONE"}
        assert found('"Sand and" Stone || Kiel') == {"SANDSTONE", "SANDY"}
        assert found('Sa"nd and St"one') == {"SANDSTONE"}

    def test_a_quote_inside_a_phrase_is_escaped_with_backslash(self):
        assert found(r'"The \"Best\""') == {"QUOTE"}

    def test_backslash_escapes_the_next_character(self):
        assert found(r"a\+b") == {"PLUS"}
        assert found(r"\!Sand") == set()
        assert found(r"Yahoo\! Europe") == {"YAHOO"}
        assert found(r"\*") == set()
        assert found(r"\AND") == {"SANDSTONE", "SANDY", "GROSS"}  # the word, not the operator

    def test_bang_inside_or_after_a_word_is_a_plain_character(self):
        assert found("Yahoo!") == {"YAHOO"}
        assert found("yahoo! eu*pe") == {"YAHOO"}

    def test_unicode(self):
        assert found("Müller") == {"MUELLER"}
        assert found("müller") == {"MUELLER"}
        assert found("MÜLLER") == {"MUELLER"}
        assert found("düsseldorf") == {"MUELLER"}
        assert found("ß") == {"GROSS"}
        assert found("weiß") == {"GROSS"}
        assert found("gro*wei") == {"GROSS"}
        assert found("MÜ*GMBH") == {"MUELLER"}
        assert found("München || ß") == {"ORBIT", "GROSS"}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("50%", {"PCT"}),
            ("50% n*w", {"PCT"}),
            ("snake_case", {"SNAKE"}),
            ("snake_c*se", {"SNAKE"}),
            ("dot.com", {"DOT"}),
            ("dot.c*m", {"DOT"}),
            ("[EU]", {"BRACKET"}),
            ("[e*]", {"BRACKET"}),
            ("[", {"BRACKET"}),
            ("$", {"DOLLAR"}),
            ("$ st*re", {"DOLLAR"}),
            ("^Dollar", set()),
            ("r$*", set()),
            ("Bracket [", {"BRACKET"}),
            ("a|b", set()),
            ("a&b", set()),
            ("?", set()),
            ("\\", set()),
        ],
    )
    def test_characters_special_in_like_or_regex_are_literal(self, query, expected):
        assert found(query) == expected

    def test_every_ascii_punctuation_mark_is_literal_in_like_and_in_regex(self):
        make_customer("PUNCT", f"P {string.punctuation} Q")
        quoted = '"' + string.punctuation.replace("\\", "\\\\").replace('"', '\\"') + '"'
        assert found(quoted) == {"PUNCT"}  # icontains
        assert found(f"p*{quoted}*q") == {"PUNCT"}  # iregex
        assert found(f"{quoted}*p") == set()

    def test_fields_across_a_relation(self):
        acme = Customer.objects.get(customer_id="ACME")
        orbit = Customer.objects.get(customer_id="ORBIT")
        for login, customer in [("jdoe", acme), ("mmax", orbit)]:
            make_customer_user(customer, login, "J", "D", email=f"{login}@example.com")
        fields = ["login", "customer__customer_id", "customer__name"]
        users = CustomerUser.objects.filter(search_q("corp* || !orb*", fields))
        assert set(users.values_list("login", flat=True)) == {"jdoe"}

    def test_no_fields_finds_nothing(self):
        assert found("acme", fields=[]) == set()

    def test_empty_search_is_no_filter(self):
        assert search_q("", FIELDS) == Q()
        assert search_q("  \t", FIELDS) == Q()
        assert search_q_or_literal(" ", FIELDS) == (Q(), None)

    def test_literal_fallback_matches_the_whole_search(self):
        make_customer("EU", "Acme (Europe)", city="Paris", country="FR")
        q, message = search_q_or_literal("  Acme   (Europe) ", FIELDS)
        assert message == 'Missing AND or OR before "(" at position 10.'
        assert set(Customer.objects.filter(q).values_list("customer_id", flat=True)) == {"EU"}

    def test_literal_fallback_ignores_case(self):
        q, message = search_q_or_literal('the "BEST', FIELDS)
        assert message == "Unbalanced quotation mark at position 5."
        assert set(Customer.objects.filter(q).values_list("customer_id", flat=True)) == {"QUOTE"}

    def test_literal_fallback_treats_wildcards_and_operators_as_plain_characters(self):
        make_customer("STAR", "Star*Shop (Nord) + Süd")
        make_customer("STARX", "StarXShop (Nord) + Süd")
        q, message = search_q_or_literal("star*shop (nord) + SÜD", FIELDS)
        assert message == 'Missing AND or OR before "(" at position 11.'
        assert set(Customer.objects.filter(q).values_list("customer_id", flat=True)) == {"STAR"}
        q, message = search_q_or_literal("star*shop (nord", FIELDS)
        assert message == "Unbalanced parenthesis at position 11."
        assert set(Customer.objects.filter(q).values_list("customer_id", flat=True)) == {"STAR"}


# --- Syntax ----------------------------------------------------------------------------------------


def test_terms_without_wildcards_use_icontains_and_wildcards_use_a_regex():
    assert search_q("acme", ["name"]) == Q(name__icontains="acme")
    assert search_q("*acme*", ["name"]) == Q(name__icontains="acme")
    assert search_q("ac*me", ["name"]) == Q(name__iregex=r"(?s)ac.*me")
    assert search_q("a.b*$", ["name"]) == Q(name__iregex=r"(?s)a\.b.*\$")
    assert search_q("acme", ["name", "city"]) == Q(name__icontains="acme") | Q(city__icontains="acme")


def test_non_ascii_terms_use_a_regex_so_that_sqlite_ignores_their_case_too():
    assert search_q("müller", ["name"]) == Q(name__iregex="(?s)müller")


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ('foo "bar', "Unbalanced quotation mark at position 5.", 5),
        ('"', "Unbalanced quotation mark at position 1.", 1),
        ("(foo", "Unbalanced parenthesis at position 1.", 1),
        ("foo)", "Unbalanced parenthesis at position 4.", 4),
        ("(a) || (b", "Unbalanced parenthesis at position 8.", 8),
        ("(a))(", "Unbalanced parenthesis at position 4.", 4),
        ("()", "Empty parentheses at position 1.", 1),
        ("a AND ( )", "Empty parentheses at position 7.", 7),
        ('""', "Empty quotation marks at position 1.", 1),
        ("foo AND", 'Missing search term after "AND" at position 5.', 5),
        ("foo +", 'Missing search term after "+" at position 5.', 5),
        ("foo&&", 'Missing search term after "&&" at position 4.', 4),
        ("foo OR", 'Missing search term after "OR" at position 5.', 5),
        ("foo ||", 'Missing search term after "||" at position 5.', 5),
        ("!", 'Missing search term after "!" at position 1.', 1),
        ("NOT", 'Missing search term after "NOT" at position 1.', 1),
        ("a AND OR b", 'Missing search term after "AND" at position 3.', 3),
        ("(a OR)", 'Missing search term after "OR" at position 4.', 4),
        ("|| bar", 'Missing search term before "||" at position 1.', 1),
        ("AND bar", 'Missing search term before "AND" at position 1.', 1),
        ("(+ bar)", 'Missing search term before "+" at position 2.', 2),
        ("foo !bar", 'Missing AND or OR before "!" at position 5.', 5),
        ("foo NOT bar", 'Missing AND or OR before "NOT" at position 5.', 5),
        ("foo (bar)", 'Missing AND or OR before "(" at position 5.', 5),
        ("(foo) bar", 'Missing AND or OR before "bar" at position 7.', 7),
    ],
)
def test_malformed_searches_say_what_and_where(query, message, position):
    error = error_of(query)
    assert str(error) == error.message == message
    assert error.position == position
    assert isinstance(error, ValueError)


def test_long_searches_are_refused():
    assert search_q("a" * MAX_LENGTH, FIELDS)
    assert str(error_of("a" * (MAX_LENGTH + 1))) == f"Search is too long: at most {MAX_LENGTH} characters."
    assert search_q(" || ".join(["a"] * MAX_TERMS), FIELDS)
    assert (
        str(error_of(" || ".join(["a"] * (MAX_TERMS + 1)))) == f"Search is too long: at most {MAX_TERMS} search terms."
    )


def test_deep_nesting_is_refused():
    assert search_q("(" * 10 + "a" + ")" * 10, FIELDS)
    assert str(error_of("(" * 11 + "a" + ")" * 11)) == "Search is nested too deeply at position 11: at most 10 levels."
    assert search_q("!" * 400 + "a", FIELDS) == search_q("a", FIELDS)


def test_messages_go_through_gettext(monkeypatch):
    monkeypatch.setattr("otrs_customer_admin.search.gettext", lambda text: "[de] " + text)
    assert str(error_of("(foo")) == "[de] Unbalanced parenthesis at position 1."
    assert search_q_or_literal("foo AND", FIELDS)[1] == '[de] Missing search term after "AND" at position 5.'


def test_nul_characters_are_ignored():
    assert search_q("ac\x00me", ["name"]) == search_q("ac me", ["name"])
    assert search_q_or_literal('"\x00', ["name"]) == (
        Q(name__icontains='"'),
        "Unbalanced quotation mark at position 1.",
    )


# --- A person's full name ------------------------------------------------------------------------

# login, first name, last name
PEOPLE = [
    ("jmueller", "Jürgen", "Müller"),
    ("jsmith", "John", "Smith"),
    ("sjohn", "Smith", "John"),  # the same two names the other way round
    ("amarie", "Anne-Marie", "O'Brien (IT)"),
    ("jmuellerlein", "Jürgen", "Müllerlein"),
    ("kmueller", "Klaus", "Müller"),
]


@pytest.fixture
def people(db):
    from otrs_customer_admin.admin.customer_user import CustomerUserAdmin
    from tests.factories import make_customer, make_customer_user

    acme = make_customer()
    for login, first_name, last_name in PEOPLE:
        make_customer_user(acme, login, first_name, last_name)
    return folded_search_fields(CustomerUser, CustomerUserAdmin.search_fields)


def people_found(query, fields):
    return set(CustomerUser.objects.filter(search_q(query, fields)).values_list("login", flat=True))


class TestFullName:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('"Jürgen Müller"', {"jmueller", "jmuellerlein"}),
            ("Jürgen Müller", {"jmueller", "jmuellerlein"}),  # spaces join words into one text anyway
            ('"jürgen müller"', {"jmueller", "jmuellerlein"}),
            ("JÜRGEN MÜLLER", {"jmueller", "jmuellerlein"}),
            ('"Müller, Jürgen"', {"jmueller"}),  # "Müllerlein, Jürgen" does not contain it
            ("müller, jürgen", {"jmueller"}),
        ],
    )
    def test_a_phrase_finds_first_and_last_name_together(self, people, query, expected):
        assert people_found(query, people) == expected

    def test_the_order_of_the_names_counts(self, people):
        assert people_found('"John Smith"', people) == {"jsmith"}
        assert people_found('"Smith John"', people) == {"sjohn"}
        assert people_found('"Smith, John"', people) == {"jsmith"}
        assert people_found("Jürgen Müller AND !Müllerlein", people) == {"jmueller"}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("gen Mül", {"jmueller", "jmuellerlein"}),  # the end of one name and the start of the other
            ("hn sm", {"jsmith"}),
            ("Jür* Mül*", {"jmueller", "jmuellerlein"}),
            ("J*ller", {"jmueller", "jmuellerlein"}),  # the wildcard spans the space
            ("Jürgen *lein", {"jmuellerlein"}),
            ("K* Müller", {"kmueller"}),
            ('"Anne-Marie O\'Brien (IT)"', {"amarie"}),  # regular-expression characters are text
            ('"O\'Brien (IT), Anne"', {"amarie"}),
        ],
    )
    def test_parts_and_wildcards_across_the_two_names(self, people, query, expected):
        assert people_found(query, people) == expected

    def test_what_no_full_name_holds_finds_nobody(self, people):
        assert people_found('"Jürgen  Müller"', people) == set()  # two spaces
        assert people_found('"Jürgen, Müller"', people) == set()
        assert people_found('"Klaus Müllerlein"', people) == set()
        assert people_found("Müller Klaus", people) == set()

    def test_single_names_are_found_as_before(self, people):
        assert people_found("müller", people) == {"jmueller", "jmuellerlein", "kmueller"}
        assert people_found("smith", people) == {"jsmith", "sjohn"}

    def test_the_list_and_the_ticket_forms_person_picker_find_the_full_name(self, people, admin_client):
        from django.urls import reverse

        changelist = admin_client.get(
            reverse("admin:otrs_customer_admin_customeruser_changelist"), {"q": "Klaus Müller"}
        )
        assert [person.login for person in changelist.context["cl"].result_list] == ["kmueller"]
        picker = admin_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "otrs_customer_admin",
                "model_name": "ticket",
                "field_name": "customer_user",
                "term": "john smith",
            },
        )
        assert [item["text"] for item in picker.json()["results"]] == ["John Smith (jsmith)"]

    def test_fuzz_every_full_name_q_runs(self, people):
        generator = random.Random(20260822)
        alphabet = [*FUZZ_ALPHABET, ", ", ",", "ü", "\\"]
        qs = set()
        for _ in range(800):
            query = "".join(generator.choice(alphabet) for _ in range(generator.randint(1, 10)))
            qs.add(search_q_or_literal(query, people)[0])
        for batch in batches(list(qs), 10):
            list(CustomerUser.objects.filter(functools.reduce(operator.or_, batch)).values_list("pk", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_full_name_search_uses_the_name_trigram_indexes():
    from django.db import connection

    from tests.factories import make_customer

    acme = make_customer()
    CustomerUser.objects.bulk_create(
        build_customer_user(acme, f"p{n}", f"First{n}", f"Last{n}", email=f"p{n}@acme.example") for n in range(300)
    )
    fields = [field for field in folded_search_fields(CustomerUser, ["first_name", "last_name"])]
    queryset = CustomerUser.objects.filter(search_q('"st12 Las"', fields)).order_by()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otrs_customer_admin_customeruser")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "otrs_customeruser_first_name_trgm" in plan
    assert "otrs_customeruser_last_name_trgm" in plan
    assert list(queryset.values_list("login", flat=True)) == ["p12"]  # "First120 Last120" has "t120 L"


# --- Fuzz ------------------------------------------------------------------------------------------

FUZZ_ALPHABET = ["a", "b", "*", '"', "(", ")", "!", "+", "&", "|", "\\", "AND", "OR", "NOT", " ", " ", "ü", "%"]


@pytest.mark.django_db
def test_fuzz_only_search_syntax_errors_escape_and_every_q_runs(customers):
    generator = random.Random(20240611)
    parsed, literals = set(), set()
    for _ in range(3000):
        query = "".join(generator.choice(FUZZ_ALPHABET) for _ in range(generator.randint(0, 12)))
        try:
            q = search_q(query, FIELDS)
        except SearchSyntaxError as error:
            assert error.message
            q = None
        fallback, message = search_q_or_literal(query, FIELDS)
        assert (message is None) == (q is not None)
        if q is None:
            literals.add(fallback)
        else:
            assert fallback == q
            parsed.add(q)
    assert len(parsed) > 300 and len(literals) > 300  # both paths were exercised
    # The database is the slow part, so the Qs run OR-ed together in small batches: a Q that
    # cannot be evaluated still fails its batch.
    for batch in batches(list(parsed), 10) + batches(list(literals), 50):
        list(Customer.objects.filter(functools.reduce(operator.or_, batch)).order_by().values_list("pk", flat=True))


def batches(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_wildcard_search_uses_a_trigram_index():
    from django.db import connection

    Customer.objects.bulk_create([build_customer(f"C{number}", f"Customer {number} Berlin") for number in range(300)])
    fields = folded_search_fields(Customer, ["customer_id", "name", "city"])
    queryset = Customer.objects.filter(search_q("*erli*", fields)).order_by()  # as the list counts it
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otrs_customer_admin_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")  # so few rows would be read from the table
        plan = queryset.explain()
    assert "otrs_customer_name_key_trgm" in plan
    assert "otrs_customer_city_trgm" in plan


# --- Dynamic fields ---------------------------------------------------------------------------------

TIERS = {"gold": "Gold", "goldplus": "Gold plus", "silver": "Silver"}


def define(name, field_type="text", object_type="customer", **options):
    from otrs_customer_admin.models import DynamicField

    return DynamicField.objects.create(
        object_type=object_type, name=name, label=options.pop("label", name), field_type=field_type, **options
    )


@pytest.fixture
def tiers(db):
    """Customers with a searchable note, a tier (dropdown), seats, a renewal date, a last audit and a VIP flag."""
    define("Note", searchable=True)
    define("Secret")  # not searchable
    define("Tier", "dropdown", choices=TIERS)
    define("Products", "multiselect", choices={"mail": "Mail server", "crm": "CRM"}, searchable=True)
    define("Seats", "integer")
    define("Renewal", "date")
    define("LastAudit", "datetime")
    define("VIP", "checkbox")
    define("City", label="Second city")  # a dynamic field named like a built-in one
    rows = {
        "ACME": {"Note": "Key Account Straße", "Tier": "gold", "Seats": 250, "Renewal": "2027-03-31", "VIP": True},
        "GLOBEX": {"Note": "gold digger", "Tier": "goldplus", "Seats": 25, "Products": "crm", "Secret": "acme"},
        "INITECH": {"Tier": "silver", "LastAudit": "2026-11-02 23:30", "Products": "mail; crm", "City": "Gold Coast"},
        "HOOLI": {},
    }
    for customer_id, values in rows.items():
        customer = make_customer(customer_id, customer_id.title(), city="Berlin")
        customer.dynamic_fields = values
        customer.save()
    return folded_search_fields(Customer, FIELDS)


def dynamic_found(query, fields):
    return set(Customer.objects.filter(search_q(query, fields)).values_list("customer_id", flat=True))


class TestDynamicFields:
    def test_free_text_looks_into_searchable_text_fields_ignoring_case(self, tiers):
        assert dynamic_found("account", tiers) == {"ACME"}
        assert dynamic_found("STRASSE", tiers) == {"ACME"}  # folded as the names are
        assert dynamic_found("key*straße", tiers) == {"ACME"}
        assert dynamic_found("digger OR account", tiers) == {"ACME", "GLOBEX"}
        assert dynamic_found("NOT account", tiers) == {"GLOBEX", "INITECH", "HOOLI"}

    def test_free_text_leaves_fields_that_are_not_searchable_and_retired_ones(self, tiers):
        from otrs_customer_admin.models import DynamicField, Validity

        assert dynamic_found("acme", tiers) == {"ACME"}  # GLOBEX's Secret is not searched
        assert dynamic_found("gold coast", tiers) == set()  # nor INITECH's City
        DynamicField.objects.filter(name="Note").update(valid=Validity.INVALID)
        assert dynamic_found("account", tiers) == set()

    def test_free_text_finds_a_searchable_choice_by_its_key_or_label(self, tiers):
        assert dynamic_found("mail serv", tiers) == {"INITECH"}  # a label
        assert dynamic_found("crm", tiers) == {"GLOBEX", "INITECH"}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("DynamicField_Tier:gold", {"ACME"}),  # the whole value: not "goldplus"
            ("dynamicfield_tier:GOLD", {"ACME"}),  # names and values ignore case
            ('DynamicField_Tier:"gold plus"', {"GLOBEX"}),  # a label, quoted
            ("DynamicField_Tier:Gold plus", {"GLOBEX"}),  # the value runs on to the next operator
            ("DynamicField_Tier:gol*", {"ACME", "GLOBEX"}),
            ("DynamicField_Tier:*plus", {"GLOBEX"}),
            ("DynamicField_Tier:*", {"ACME", "GLOBEX", "INITECH"}),  # any value
            ("DynamicField_Note:gold digger", {"GLOBEX"}),
            ("DynamicField_Note:gold", set()),  # whole values only
            ("DynamicField_Note:*digger", {"GLOBEX"}),
            ("DynamicField_Note:key*straße", {"ACME"}),
            ("DynamicField_Products:crm", {"GLOBEX", "INITECH"}),
            ("DynamicField_Products:mail server", {"INITECH"}),
            ("DynamicField_Secret:acme", {"GLOBEX"}),  # a term on one field needs no "searchable"
            ("DynamicField_City:gold*", {"INITECH"}),
        ],
    )
    def test_a_term_on_one_field(self, tiers, query, expected):
        assert dynamic_found(query, tiers) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("DynamicField_Seats:250", {"ACME"}),
            ("DynamicField_Seats:25", {"GLOBEX"}),  # a number, not a substring
            ("DynamicField_Renewal:2027-03-31", {"ACME"}),
            ("DynamicField_LastAudit:2026-11-02", {"INITECH"}),  # a day of a date-and-time field
            ("DynamicField_LastAudit:2026-11-02 23:30", {"INITECH"}),
            ("DynamicField_VIP:1", {"ACME"}),
            ("DynamicField_VIP:yes", {"ACME"}),
            ("DynamicField_VIP:0", {"GLOBEX", "INITECH", "HOOLI"}),
        ],
    )
    def test_numbers_dates_and_checkboxes_compare_by_type(self, tiers, query, expected):
        assert dynamic_found(query, tiers) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("DynamicField_Tier:gold* AND NOT DynamicField_VIP:1", {"GLOBEX"}),
            ("DynamicField_Seats:250 || DynamicField_Tier:silver", {"ACME", "INITECH"}),
            ("(DynamicField_Tier:gold OR DynamicField_Tier:silver) AND !acme", {"INITECH"}),
            ("berlin && DynamicField_Products:mail", {"INITECH"}),
            ("DynamicField_Tier:gold+DynamicField_Seats:250", {"ACME"}),
        ],
    )
    def test_terms_on_fields_combine_like_any_term(self, tiers, query, expected):
        assert dynamic_found(query, tiers) == expected

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("DynamicField_Nope:1", "There is no dynamic field DynamicField_Nope (at position 1)."),
            (
                "acme OR DynamicField_Seats:many",
                "DynamicField_Seats at position 9: 'many' is not a whole number.",
            ),
            ("DynamicField_Renewal:soon", "DynamicField_Renewal at position 1: 'soon' is not a date"),
            ("DynamicField_VIP:maybe", "DynamicField_VIP at position 1: 'maybe' is not a yes/no value"),
            ("DynamicField_Tier:platinum", "DynamicField_Tier at position 1: 'platinum' is not one of the choices"),
            ("DynamicField_Seats:2*", "DynamicField_Seats at position 1: * works only in text"),
            ("DynamicField_Tier:", 'Missing value after "DynamicField_Tier:" at position 1.'),
            ("acme DynamicField_Tier:gold", 'Missing AND or OR before "DynamicField_Tier:gold" at position 6.'),
        ],
    )
    def test_an_unknown_field_or_a_value_it_cannot_hold_is_a_syntax_error(self, tiers, query, message):
        with pytest.raises(SearchSyntaxError) as caught:
            search_q(query, tiers)
        assert caught.value.message.startswith(message)

    def test_a_retired_field_is_unknown(self, tiers):
        from otrs_customer_admin.models import DynamicField, Validity

        DynamicField.objects.filter(name="Tier").update(valid=Validity.INVALID)
        with pytest.raises(SearchSyntaxError, match="There is no dynamic field DynamicField_Tier"):
            search_q("DynamicField_Tier:gold", tiers)

    def test_quoted_it_is_plain_text_and_without_dynamic_fields_too(self, tiers):
        assert dynamic_found('"DynamicField_Tier:gold"', tiers) == set()
        make_customer("ODD", "DynamicField_Tier:gold Ltd")
        assert dynamic_found('"DynamicField_Tier:gold"', tiers) == {"ODD"}
        assert dynamic_found("DynamicField_Tier:gold", FIELDS) == {"ODD"}  # no model: no fields

    def test_the_list_reports_a_bad_term_as_other_syntax_errors_never_a_500(self, tiers, admin_client):
        from django.urls import reverse

        changelist = reverse("admin:otrs_customer_admin_customer_changelist")
        response = admin_client.get(changelist, {"q": "DynamicField_Seats:lots"})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []  # matched literally: nothing holds the text
        page = response.content.decode()
        assert (
            "could not be read as OTRS syntax (DynamicField_Seats at position 1: "
            "&#x27;lots&#x27; is not a whole number.)" in page
        )
        response = admin_client.get(changelist, {"q": "DynamicField_Tier:gold* AND NOT DynamicField_VIP:1"})
        assert [customer.customer_id for customer in response.context["cl"].result_list] == ["GLOBEX"]

    def test_customer_users_and_the_pickers_search_their_own_fields(self, tiers, admin_client):
        from django.urls import reverse

        define("Department", "dropdown", object_type="customer_user", choices={"s": "Sales", "it": "IT"})
        define("Phone2", object_type="customer_user", searchable=True)
        acme = Customer.objects.get(customer_id="ACME")
        for login, department, phone in (("ann", "s", "+49 30 1234"), ("bob", "it", ""), ("cy", None, "")):
            user = make_customer_user(acme, login=login, last_name=login.title())
            user.dynamic_fields = {"Department": department, "Phone2": phone}
            user.save()
        users = reverse("admin:otrs_customer_admin_customeruser_changelist")

        def listed(query):
            response = admin_client.get(users, {"q": query})
            return sorted(user.login for user in response.context["cl"].result_list)

        assert listed("DynamicField_Department:sales") == ["ann"]
        assert listed("30 12") == ["ann"]
        assert listed("NOT DynamicField_Department:s") == ["bob", "cy"]
        picker = admin_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "otrs_customer_admin",
                "model_name": "ticket",
                "field_name": "customer_user",
                "term": "DynamicField_Department:IT",
            },
        )
        assert [item["text"] for item in picker.json()["results"]] == ["Jane Bob (bob)"]
        customers = admin_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "otrs_customer_admin",
                "model_name": "customeruser",
                "field_name": "customer",
                "term": "DynamicField_Tier:silver",
            },
        )
        assert [item["text"] for item in customers.json()["results"]] == ["Initech (INITECH)"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_term_on_one_field_uses_the_value_index():
    from django.db import connection

    from otrs_customer_admin.models.dynamic_values import replace_values

    define("Tier", "dropdown", choices=TIERS)
    customers = Customer.objects.bulk_create(
        build_customer(f"C{number}", f"Customer {number}") for number in range(300)
    )
    replace_values(Customer, {customer.pk: {"Tier": "gold" if customer.pk % 3 else "silver"} for customer in customers})
    queryset = Customer.objects.filter(search_q("DynamicField_Tier:silver", folded_search_fields(Customer, FIELDS)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otrs_customer_admin_customerdynamicvalue")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.order_by().explain()
    assert "otrs_cdv_key" in plan
    assert queryset.count() == 100
