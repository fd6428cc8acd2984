"""Country, validity and yes/no values as OTRS, Znuny, Zammad and spreadsheet users write them."""

import pytest
from django.utils.translation import override
from django_countries import countries
from django_countries.data import ALT_CODES

from otrs_customer_admin import values
from otrs_customer_admin.models import Validity
from otrs_customer_admin.values import format_validity, parse_bool, parse_country, parse_validity

# What OTRS/Znuny store (Perl Locale::Country English names) and what people type.
COUNTRY_NAMES = {
    "Germany": "DE",
    "United States": "US",
    "United Kingdom": "GB",
    "Korea, Republic of": "KR",
    "Iran, Islamic Republic of": "IR",
    "Russian Federation": "RU",
    "Viet Nam": "VN",
    "Taiwan, Province of China": "TW",
    "Bolivia, Plurinational State of": "BO",
    "Venezuela, Bolivarian Republic of": "VE",
    "Tanzania, United Republic of": "TZ",
    "Moldova, Republic of": "MD",
    "Macedonia, the Former Yugoslav Republic of": "MK",
    "Czech Republic": "CZ",
    "Holy See (Vatican City State)": "VA",
    "Lao People's Democratic Republic": "LA",
    "Syrian Arab Republic": "SY",
    "Côte d'Ivoire": "CI",
    "Korea, Democratic People's Republic of": "KP",
    "Congo, The Democratic Republic of the": "CD",
    "Congo": "CG",
    "Micronesia, Federated States of": "FM",
    "Palestinian Territory, Occupied": "PS",
    "Virgin Islands, British": "VG",
    "Virgin Islands, U.S.": "VI",
    "Saint Helena, Ascension and Tristan da Cunha": "SH",
    "Falkland Islands (Malvinas)": "FK",
    "Libyan Arab Jamahiriya": "LY",
    "Brunei Darussalam": "BN",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "Turkey": "TR",
    "Netherlands": "NL",
    "Bahamas": "BS",
    "Gambia": "GM",
    "Reunion": "RE",
    "Aland Islands": "AX",
    "Curacao": "CW",
    "Saint Barthelemy": "BL",
    "Timor-Leste": "TL",
    # Newer Locale::Codes / ISO spellings with "(The)".
    "Netherlands (The)": "NL",
    "Congo (The Democratic Republic of the)": "CD",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "United States of America": "US",
    "Bolivia (Plurinational State of)": "BO",
    # Formal and common variants.
    "USA": "US",
    "U.S.A.": "US",
    "UK": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "South Korea": "KR",
    "Republic of Korea": "KR",
    "North Korea": "KP",
    "Czechia": "CZ",
    "Russia": "RU",
    "Vietnam": "VN",
    "Ivory Coast": "CI",
    "The Netherlands": "NL",
    "Holland": "NL",
    "Federal Republic of Germany": "DE",
    "Iran": "IR",
    "Syria": "SY",
    "Laos": "LA",
    "Taiwan": "TW",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "Moldova": "MD",
    "North Macedonia": "MK",
    "Macedonia": "MK",
    "Vatican City": "VA",
    "Türkiye": "TR",
    "Burma": "MM",
    "East Timor": "TL",
    "UAE": "AE",
    "DR Congo": "CD",
    "Republic of the Congo": "CG",
    "The Gambia": "GM",
    "St Kitts & Nevis": "KN",
    "St. Lucia": "LC",
    "Bosnia & Herzegovina": "BA",
    "Guinea Bissau": "GW",
    "US Virgin Islands": "VI",
    "British Virgin Islands": "VG",
}


@pytest.mark.parametrize(("name", "code"), COUNTRY_NAMES.items())
def test_country_names_as_otrs_and_people_write_them(name, code):
    assert parse_country(name) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" De ", "DE"),
        ("DEU", "DE"),
        ("deu", "DE"),
        ("276", "DE"),
        ("840", "US"),
        ("4", "AF"),
        ("004", "AF"),
        ("GBR", "GB"),
        ("gb", "GB"),
        ("germany", "DE"),
        ("GERMANY", "DE"),
        ("  Germany  ", "DE"),
        ("cote d'ivoire", "CI"),
        ("COTE D IVOIRE", "CI"),
        ("C\u00f4te d\u2019Ivoire", "CI"),  # typographic apostrophe
        ("RÉUNION", "RE"),
        ("Åland Islands", "AX"),
        ("Curaçao", "CW"),
        ("Republic of Korea", "KR"),
        ("korea republic of", "KR"),
        ("Korea (the Republic of)", "KR"),
        ("Republic Korea, of", "KR"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_country_codes_case_accents_and_punctuation(value, code):
    assert parse_country(value) == code


def test_every_country_by_code_alpha3_numeric_and_english_name():
    with override("en"):
        for code, name in countries:
            assert parse_country(code) == code
            assert parse_country(code.lower()) == code
            assert parse_country(name) == code, name
            alpha3, numeric = ALT_CODES[code]
            assert parse_country(alpha3) == code
            assert parse_country(str(numeric)) == code


def test_only_the_intended_names_are_ambiguous():
    _, ambiguous = values._country_table()
    assert ambiguous == {"korea": ["KP", "KR"], "islands virgin": ["VG", "VI"]}


@pytest.mark.parametrize("value", ["Deutschland", "Allemagne", "Narnia", "GER", "XX", "999", "Netherlands Antilles"])
def test_unknown_countries_are_refused(value):
    with pytest.raises(ValueError) as caught:
        parse_country(value)
    assert str(caught.value) == (
        f"Unknown country '{value}': use an ISO code such as DE or an English name such as Germany."
    )


def test_narnia_message_exactly():
    with pytest.raises(ValueError, match=r"^Unknown country 'Narnia': use an ISO code such as DE or an English"):
        parse_country(" Narnia ")


def test_ambiguous_country_names_say_which_codes_they_could_be():
    with pytest.raises(ValueError) as caught:
        parse_country("Korea")
    assert str(caught.value) == (
        "The country 'Korea' is ambiguous: it could be North Korea (KP) or South Korea (KR). Use the ISO code."
    )
    with pytest.raises(ValueError, match="VG"):
        parse_country("Virgin Islands")


def test_site_country_overrides_are_accepted(settings):
    settings.COUNTRIES_OVERRIDE = {"XK": "Kosovo"}
    assert parse_country("Kosovo") == "XK"
    assert parse_country("xk") == "XK"
    assert parse_country("Germany") == "DE"
    settings.COUNTRIES_OVERRIDE = {}
    with pytest.raises(ValueError):
        parse_country("Kosovo")


def test_countries_outside_countries_only_are_still_parsed(settings):
    # The model field refuses them with its own message; the parser only reads the name.
    settings.COUNTRIES_ONLY = ["DE", "AT", "CH"]
    assert parse_country("France") == "FR"


def test_the_codes_a_site_override_gives_are_read_as_codes(settings):
    settings.COUNTRIES_OVERRIDE = {"XK": {"names": ["Kosovo"], "alpha3": "XKX", "numeric": 926}}
    assert [parse_country(code) for code in ("XK", "xkx", "926")] == ["XK"] * 3
    settings.COUNTRIES_OVERRIDE = {}
    with pytest.raises(ValueError, match="Unknown country 'XKX'"):
        parse_country("XKX")


def test_codes_outside_countries_only_are_still_parsed(settings):
    # As names: the model field refuses them with its own message.
    settings.COUNTRIES_ONLY = ["DE", "AT", "CH"]
    assert [parse_country(code) for code in ("FR", "fra", "250")] == ["FR"] * 3


def test_country_lookup_is_built_once():
    values._country_table.cache_clear()
    parse_country("Germany")
    parse_country("FR")
    with pytest.raises(ValueError):
        parse_country("Narnia")
    assert values._country_table.cache_info().misses == 1


# --- validity and yes/no -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("1.0", 1),
        ("2.0", 2),
        (" 3 ", 3),
        (1, 1),
        (3, 3),
        ("valid", 1),
        ("Valid", 1),
        ("INVALID", 2),
        ("invalid-temporarily", 3),
        ("Invalid Temporarily", 3),
        ("invalid_temporarily", 3),
        ("true", 1),
        ("TRUE", 1),
        ("yes", 1),
        ("false", 2),
        ("False", 2),
        ("no", 2),
        ("0", 2),
        (True, 1),
        (False, 2),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_validity(value, expected):
    assert parse_validity(value) == expected


@pytest.mark.parametrize("value", ["4", "-1", "1.5", "gültig", "maybe", "valid-ish", "temporarily"])
def test_unknown_validity_lists_the_accepted_values(value):
    with pytest.raises(ValueError) as caught:
        parse_validity(value)
    assert str(caught.value) == (
        f"Unknown validity '{value}': use valid, invalid or invalid-temporarily "
        "(or 1, 2, 3; true/yes for valid, false/no for invalid)."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("True", True),
        ("YES", True),
        ("1", True),
        ("1.0", True),
        ("false", False),
        ("No", False),
        ("0", False),
        (" 0 ", False),
        (True, True),
        (False, False),
        (0, False),
        ("", None),
        (None, None),
    ],
)
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["2", "maybe", "ja", "t"])
def test_parse_bool_refuses_other_values(value):
    with pytest.raises(ValueError) as caught:
        parse_bool(value)
    assert str(caught.value) == f"'{value}' is not a yes/no value: use true or false (or yes/no, 1/0)."


def test_format_validity():
    assert format_validity(1) == "valid"
    assert format_validity(Validity.INVALID) == "invalid"
    assert format_validity(3) == "invalid-temporarily"
    assert format_validity(None) == ""
    for number in Validity.values:
        assert parse_validity(format_validity(number)) == number
    with pytest.raises(ValueError):
        format_validity(4)
