"""The values the bulk writers clean before they write: country and validity.

Pure functions, no database: the import engine calls them per cell and turns
their ``ValueError`` into a problem report naming the line and column; the
directory sync cleans its entries' values with the same ones.

Countries
    ``parse_country`` gives the ISO 3166-1 alpha-2 code django-countries stores.
    It accepts alpha-2, alpha-3 and numeric codes, and *English* names the way
    OTRS/Znuny (Perl Locale::Country), Zammad, Excel users and ISO write them:
    official ISO names ("Korea, Republic of", "Viet Nam"), their older and
    common forms ("South Korea", "Czech Republic", "Vietnam", "Holland") and a
    few abbreviations ("USA", "UK", "UAE", "DRC"). Names are compared ignoring
    case, accents, punctuation, the word "the" and word order, so
    "Korea, Republic of", "Korea (the Republic of)" and "Republic of Korea" are
    one name. Names in other languages ("Deutschland") are refused: accepting
    some languages would make the rest look like typos, and an ISO code works
    in every language. England, Scotland, Wales and Northern Ireland are read as
    GB, the only code ISO 3166-1 has for them. "Korea" and "Virgin Islands" are
    refused as ambiguous; IOC codes such as "GER" are refused (they collide with
    ISO codes).

Validity
    OTRS's names ``valid``, ``invalid``, ``invalid-temporarily``, its ids 1, 2, 3,
    and Zammad's ``active`` flag (true/yes/1 is valid, false/no/0 invalid).
"""

import re
import unicodedata
from functools import cache

from django.core.signals import setting_changed
from django.utils.translation import gettext, override
from django_countries import Countries, countries

from .models import Validity
from .models.sla import MAX_TARGET_MINUTES

__all__ = ["format_validity", "parse_bool", "parse_country", "parse_validity"]

# English names django-countries does not know, by code. Names that only differ
# from one it knows in case, accents, punctuation, "the" or word order need no entry.
COUNTRY_ALIASES = {
    "AE": ["UAE"],
    "BA": ["Bosnia"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa", "Zaire"],
    "CG": ["Republic of the Congo", "Congo-Brazzaville", "Congo Republic"],
    "CI": ["Ivory Coast"],
    "CN": ["People's Republic of China"],
    "CV": ["Cape Verde"],
    "DE": ["Federal Republic of Germany"],
    "FK": ["Falkland Islands"],
    "GB": [
        "United Kingdom",
        "UK",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ],
    "KP": ["DPRK"],
    "LY": ["Libyan Arab Jamahiriya"],
    "MK": ["Republic of North Macedonia"],
    "MM": ["Burma"],
    "NL": ["Holland"],
    "PN": ["Pitcairn Islands"],
    "PS": ["Palestinian Territory, Occupied", "Occupied Palestinian Territory", "Palestinian Territories"],
    "TL": ["East Timor"],
    "US": ["United States", "USA"],
    "VA": ["Holy See (Vatican City State)", "Vatican"],
    "VG": ["British Virgin Islands"],
    "VI": ["United States Virgin Islands", "US Virgin Islands"],
}

# Names that could mean more than one country.
AMBIGUOUS_COUNTRIES = {
    "Korea": ["KR", "KP"],
    "Virgin Islands": ["VG", "VI"],
}

_DOTS = re.compile(r"[.`\u00b4]")
_APOSTROPHES = re.compile(r"['\u2019\u02bc]")
_NOT_A_WORD = re.compile(r"[\W_]+")


def _words(text):
    words = [("saint" if word == "st" else word) for word in _NOT_A_WORD.split(text) if word and word != "the"]
    return " ".join(sorted(words))


def country_keys(name):
    """What spellings of one country name have in common (one or two keys).

    ``"Korea, Republic of"``, ``"Republic of Korea"`` and ``"Korea (the Republic of)"``
    all give ``"korea of republic"``; ``"Côte d'Ivoire"`` gives ``"cote divoire"`` and
    ``"cote d ivoire"``, so "Cote dIvoire" and "Cote d Ivoire" match it too.
    """
    text = unicodedata.normalize("NFKD", str(name).casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _DOTS.sub("", text.replace("&", " and "))
    return {_words(_APOSTROPHES.sub("", text)), _words(_APOSTROPHES.sub(" ", text))}


def _names(entry):
    if isinstance(entry, dict):
        return entry.get("names") or [entry.get("name")]
    return [entry]


class EveryCountry(Countries):
    """The countries of django-countries and the site's ``COUNTRIES_OVERRIDE``, whatever its
    ``COUNTRIES_ONLY`` (an empty ``only`` is no restriction): the parser reads every country, and
    the model field then says whether the site takes it."""

    only = []


every_country = EveryCountry()


@cache
def _country_table():
    """``(names, ambiguous)``: name key -> alpha-2 code, and name key -> the codes it could mean; built once."""
    from django_countries.data import COUNTRIES

    active = countries.countries  # with the site's COUNTRIES_OVERRIDE / COUNTRIES_ONLY
    known = set(COUNTRIES) | set(active)
    candidates = {}  # key -> set of codes

    def add(code, name):
        if name and code in known:
            for key in country_keys(name):
                candidates.setdefault(key, set()).add(code)

    with override("en"):
        for source in (
            COUNTRIES,
            getattr(countries, "COMMON_NAMES", {}),
            {code: _names(entry) for code, entry in active.items()},
            getattr(countries, "OLD_NAMES", {}),
            COUNTRY_ALIASES,
        ):
            for code, names in source.items():
                for name in names if isinstance(names, (list, tuple)) else [names]:
                    add(code, str(name) if name else "")

    ambiguous = {key: sorted(choices) for name, choices in AMBIGUOUS_COUNTRIES.items() for key in country_keys(name)}
    names = {}
    for key, choices in candidates.items():
        if len(choices) == 1 and key not in ambiguous:
            names[key] = next(iter(choices))
        else:
            ambiguous.setdefault(key, sorted(choices))
    return names, ambiguous


def _reset_country_table(*, setting, **kwargs):
    if setting.startswith("COUNTRIES_"):
        del countries.countries  # django-countries' documented way to drop its own cache
        del every_country.countries
        _country_table.cache_clear()


setting_changed.connect(_reset_country_table, dispatch_uid="otrs_customer_admin.values.countries")


def parse_country(value):
    """The ISO 3166-1 alpha-2 code for a code or English country name; ``""`` for an empty value.

    Raises ``ValueError`` with a message for the user when the value is not a country.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    # Alpha-2, alpha-3 and numeric codes, the site's own codes and the codes its overrides give.
    code = every_country.alpha2(text)
    if code:
        return code
    names, ambiguous = _country_table()
    keys = sorted(country_keys(text))
    for key in keys:
        if key in names:
            return names[key]
    choices = next((ambiguous[key] for key in keys if key in ambiguous), None)
    if choices:
        with override("en"):
            options = gettext(" or ").join(f"{countries.name(code) or code} ({code})" for code in choices)
        raise ValueError(
            gettext("The country '%(value)s' is ambiguous: it could be %(options)s. Use the ISO code.")
            % {"value": text, "options": options}
        )
    raise ValueError(
        gettext("Unknown country '%(value)s': use an ISO code such as DE or an English name such as Germany.")
        % {"value": text}
    )


TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})


def _integral(text):
    """``"2"`` and ``"2.0"`` -> 2; anything else -> None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def parse_bool(value):
    """``True`` for true/yes/1, ``False`` for false/no/0 (any case), ``None`` for an empty value."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().casefold()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    number = _integral(text)
    if number in (0, 1):
        return bool(number)
    raise ValueError(
        gettext("'%(value)s' is not a yes/no value: use true or false (or yes/no, 1/0).")
        % {"value": str(value).strip()}
    )


def parse_minutes(value):
    """A cell of minutes (an SLA's target) as a whole number: ``"240"`` and ``"240.0"`` -> 240; at
    most the SLA's limit (``MAX_TARGET_MINUTES``, a year), as its form allows."""
    text = str(value).strip()
    number = _integral(text)
    if number is None or number < 0:
        raise ValueError(
            gettext("'%(value)s' is no number of minutes: write a whole number such as 240.") % {"value": text}
        )
    if number > MAX_TARGET_MINUTES:
        raise ValueError(
            gettext("%(value)s minutes are more than a year, the most an SLA target holds (%(limit)s).")
            % {"value": text, "limit": MAX_TARGET_MINUTES}
        )
    return number


def validity_of_flag(flag):
    """A yes/no flag's validity id: yes is valid, no invalid (never invalid-temporarily)."""
    return int(Validity.VALID if flag else Validity.INVALID)


def parse_validity(value):
    """The validity id (1 valid, 2 invalid, 3 invalid-temporarily) of a cell; ``None`` when empty.

    Accepts OTRS's names (any case; "invalid temporarily" and "invalid_temporarily"
    too) and ids, and yes/no flags such as Zammad's ``active``: true/yes/1 is
    valid, false/no/0 invalid. Note "1" is valid either way.
    """
    if isinstance(value, bool):
        return validity_of_flag(value)
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    name = re.sub(r"[\s_-]+", "-", text.casefold())
    member = Validity.from_machine_name(name)
    if member is not None:
        return int(member)
    number = _integral(text)
    if number in Validity.values:
        return number
    try:
        flag = parse_bool(text)
    except ValueError:
        flag = None
    if flag is not None:
        return validity_of_flag(flag)
    raise ValueError(
        gettext(
            "Unknown validity '%(value)s': use valid, invalid or invalid-temporarily "
            "(or 1, 2, 3; true/yes for valid, false/no for invalid)."
        )
        % {"value": text}
    )


def format_validity(value):
    """``1`` -> ``"valid"``, ``2`` -> ``"invalid"``, ``3`` -> ``"invalid-temporarily"``; ``None`` -> ``""``."""
    if value is None or value == "":
        return ""
    try:
        return Validity(int(value)).machine_name
    except (TypeError, ValueError):
        raise ValueError(gettext("%(value)r is not a validity id (1, 2 or 3).") % {"value": value}) from None
