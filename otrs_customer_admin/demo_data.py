"""Believable demo data: customers, customer users, SLAs and tickets, fast and repeatable.

``load_demo_data()`` (and the ``load_demo_data`` command around it) fills the default
writable data source with companies in several countries, the people who work there,
three SLAs and tickets in every OTRS state.

* **Repeatable.** Every record has a key derived from its index: customers are
  ``DEMO-00001``…, customer users have logins like ``anna.mueller17`` (the number is the
  index), tickets are numbered ``DEMO0000001``… (real tickets are numbered
  ``YYYYMMDD…``, so the two never clash) and SLAs are known by name. A run loads the keys
  that exist (one query per model) and bulk-creates only the missing records, so running
  twice creates nothing and a larger count adds only the difference.
* **Stable.** Each record draws its values from its own random generator, seeded from
  ``(seed, kind, index)``; record *i* looks the same whatever the counts are. Only the
  links (which customer a person works for, which person opened a ticket) depend on how
  many customers and customer users there are.
* **Fast.** No per-row queries: values come from small in-memory tables and records are
  written in batches (``bulk_create`` for customers and customer users, a single
  ``executemany`` per batch for tickets, see ``_RowWriter``). The stored escalation
  fields of tickets are derived with ``Ticket.prepare_for_save()`` before each batch is
  written. A million tickets take a few minutes on SQLite.
"""

import dataclasses
import gc
import random
import re
import time
import unicodedata
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from .datasources import default_data_source_key
from .models import SLA, Customer, CustomerUser, Priority, Ticket, TicketState, Validity
from .models.ticket import CLOSED_STATES, PENDING_STATES, recount_tickets

DEFAULT_CUSTOMERS = 50
DEFAULT_CUSTOMER_USERS = 300
DEFAULT_TICKETS = 2000
DEFAULT_SEED = 4711
DEFAULT_BATCH_SIZE = 5000

CUSTOMER_ID_PREFIX = "DEMO-"
TICKET_NUMBER_PREFIX = "DEMO"

# How far back demo tickets reach.
HISTORY_DAYS = 180

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Record kinds, mixed into the per-record seeds.
_KIND_CUSTOMER, _KIND_CUSTOMER_USER, _KIND_TICKET = 1, 2, 3


# The first customers are key accounts: together they send this share of all tickets.
KEY_ACCOUNTS = 4
KEY_ACCOUNT_SHARE = 0.05


class DemoDataError(Exception):
    """The demo data cannot be loaded (no writable data source, impossible counts)."""


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def demo_customer_id(index):
    return f"{CUSTOMER_ID_PREFIX}{index + 1:05d}"


def demo_ticket_number(index):
    return f"{TICKET_NUMBER_PREFIX}{index + 1:07d}"


_CUSTOMER_ID_RE = re.compile(rf"^{re.escape(CUSTOMER_ID_PREFIX)}([0-9]+)\Z", re.IGNORECASE)
_TICKET_NUMBER_RE = re.compile(rf"^{re.escape(TICKET_NUMBER_PREFIX)}([0-9]+)\Z")
_LOGIN_RE = re.compile(r"^[a-z]+\.[a-z]+([1-9][0-9]*)\Z")


def _index_from_key(regex, key, formatter):
    """The index encoded in a demo key, or ``None`` if ``key`` is not exactly such a key."""
    match = regex.match(key)
    if match is None:
        return None
    index = int(match[1]) - 1
    return index if index >= 0 and formatter(index).lower() == key.lower() else None


def _seed_for(seed, kind, index):
    # Distinct integers for distinct (seed, kind, index); random.Random seeds from all bits.
    return (abs(seed) * 2 + (seed < 0)) * (1 << 44) + kind * (1 << 40) + index


# ---------------------------------------------------------------------------
# Countries: where the customers are, and what their names and addresses look like
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    area: str  # telephone area code, without the leading zero
    zip_low: int = 0
    zip_high: int = 0
    zip_step: int = 1
    outward: tuple = ()  # UK postcode districts

    def zip_number(self, rng):
        return rng.randrange(self.zip_low, self.zip_high + 1, self.zip_step)


_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _zip_digits(width):
    return lambda rng, city: f"{city.zip_number(rng):0{width}d}"


def _zip_nl(rng, city):
    return f"{city.zip_number(rng):04d} {rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"


def _zip_se(rng, city):
    number = city.zip_number(rng)
    return f"{number // 100:03d} {number % 100:02d}"


def _zip_gb(rng, city):
    inward = f"{rng.randrange(1, 10)}{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"
    return f"{rng.choice(city.outward)} {inward}"


def _digits(rng, count):
    return f"{rng.randrange(10**count):0{count}d}"


def _phone_de(prefix):
    return lambda rng, area: f"{prefix} {area} {rng.randrange(1, 10)}{_digits(rng, rng.randrange(5, 8))}"


def _phone_grouped(prefix, groups):
    def phone(rng, area):
        rest = _digits(rng, sum(groups) - len(area))
        digits = area + rest
        parts, start = [], 0
        for size in groups:
            parts.append(digits[start : start + size])
            start += size
        return f"{prefix} " + " ".join(parts)

    return phone


def _phone_ch(rng, area):
    return f"+41 {area} {_digits(rng, 3)} {_digits(rng, 2)} {_digits(rng, 2)}"


def _phone_nl(rng, area):
    return f"+31 {area} {_digits(rng, 9 - len(area))}"


def _phone_gb(rng, area):
    rest = _digits(rng, 10 - len(area))
    return f"+44 {area} {rest[:-4]} {rest[-4:]}" if len(rest) > 4 else f"+44 {area} {rest}"


def _phone_us(rng, area):
    # 555-0100 to 555-0199 are reserved for fiction.
    return f"+1 {area} 555-01{_digits(rng, 2)}"


def _phone_se(rng, area):
    rest = _digits(rng, 9 - len(area))
    return f"+46 {area} {rest[:3]} {rest[3:5]} {rest[5:]}".rstrip()


@dataclass(frozen=True)
class Country:
    code: str
    weight: int
    cities: tuple
    streets: tuple
    number_first: bool  # "12 High Street" rather than "Hauptstraße 12"
    first_names: tuple
    last_names: tuple
    industries: tuple
    words: tuple
    patterns: tuple  # company name patterns
    public_patterns: tuple  # authorities and other public bodies, at most one per city
    zip_format: object
    phone: object
    mobile_prefixes: tuple  # mobile network codes, formatted like area codes
    german_transliteration: bool = False

    def zip(self, rng, city):
        return self.zip_format(rng, city)

    def street(self, rng):
        number = rng.randrange(1, 200)
        if self.number_first:
            return f"{number} {rng.choice(self.streets)}"
        suffix = rng.choice("ab") if rng.random() < 0.08 else ""
        return f"{rng.choice(self.streets)} {number}{suffix}"

    def mobile(self, rng):
        prefix = rng.choice(self.mobile_prefixes)
        if self.code == "GB":
            return f"+44 {prefix} {_digits(rng, 3)}"  # 07700 900xxx: Ofcom's range for drama
        return self.phone(rng, prefix)


_GERMAN_SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
    "Krüger", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Lehmann", "Köhler", "Herrmann", "König",
    "Walter", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel",
)  # fmt: skip

COUNTRIES = (
    Country(
        code="DE",
        weight=30,
        cities=(
            City("Berlin", "30", 10115, 14199), City("Hamburg", "40", 20095, 22769),
            City("München", "89", 80331, 81929), City("Köln", "221", 50667, 51149),
            City("Frankfurt am Main", "69", 60306, 60599), City("Stuttgart", "711", 70173, 70629),
            City("Düsseldorf", "211", 40210, 40629), City("Leipzig", "341", 4103, 4357),
            City("Dresden", "351", 1067, 1328), City("Hannover", "511", 30159, 30669),
            City("Nürnberg", "911", 90402, 90491), City("Bremen", "421", 28195, 28779),
            City("Dortmund", "231", 44135, 44388), City("Essen", "201", 45127, 45359),
            City("Karlsruhe", "721", 76131, 76229), City("Münster", "251", 48143, 48167),
            City("Bielefeld", "521", 33602, 33739), City("Mannheim", "621", 68159, 68309),
            City("Augsburg", "821", 86150, 86199), City("Freiburg im Breisgau", "761", 79098, 79117),
        ),
        streets=(
            "Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gewerbestraße", "Lindenstraße", "Gartenstraße",
            "Schillerstraße", "Goethestraße", "Am Hafen", "Mühlenweg", "Marktplatz", "Friedrichstraße",
            "Kaiserstraße", "Berliner Allee", "Rheinstraße", "Poststraße", "Parkstraße", "Im Gewerbepark",
            "Dieselstraße", "Robert-Bosch-Straße", "Carl-Zeiss-Ring", "Otto-Hahn-Straße", "Hafenstraße",
        ),
        number_first=False,
        first_names=(
            "Anna", "Lena", "Julia", "Laura", "Sarah", "Katharina", "Sandra", "Stefanie", "Nicole", "Sabine",
            "Claudia", "Petra", "Maria", "Lisa", "Hannah", "Jana", "Thomas", "Michael", "Andreas", "Stefan",
            "Christian", "Markus", "Frank", "Jan", "Tobias", "Florian", "Daniel", "Sebastian", "Alexander",
            "Jürgen", "Uwe", "Klaus", "Matthias", "Lukas", "Felix", "Jonas",
        ),
        last_names=_GERMAN_SURNAMES,
        industries=(
            "Logistik", "Maschinenbau", "Elektrotechnik", "Haustechnik", "Bau", "Medizintechnik", "Systemhaus",
            "Anlagenbau", "Metallbau", "Druckerei", "Immobilien", "Verpackung", "Fahrzeugtechnik",
            "Energietechnik", "Kunststofftechnik", "Automation", "Datentechnik", "Lebensmittel", "Möbelwerk",
        ),
        words=("Nord", "Süd", "West", "Ost", "Rhein", "Elbe", "Main", "Alpen", "Hanse", "Spree"),
        patterns=(
            "{surname} {industry} GmbH", "{surname} {industry} GmbH", "{surname} & {surname2} GmbH & Co. KG",
            "{surname} {industry} AG", "{word}{industry_lower} GmbH", "{surname} & {surname2} Steuerberater",
            "{surname} {industry} e.K.", "{word} {industry} GmbH",
        ),
        public_patterns=("Stadtwerke {city}", "Stadtverwaltung {city}", "Klinikum {city}", "Hochschule {city}"),
        zip_format=_zip_digits(5),
        phone=_phone_de("+49"),
        mobile_prefixes=("151", "160", "170", "171", "176"),
        german_transliteration=True,
    ),
    Country(
        code="AT",
        weight=8,
        cities=(
            City("Wien", "1", 1010, 1230, 10), City("Graz", "316", 8010, 8055), City("Linz", "732", 4020, 4040),
            City("Salzburg", "662", 5020, 5026), City("Innsbruck", "512", 6020, 6080, 10),
            City("Klagenfurt", "463", 9020, 9073), City("St. Pölten", "2742", 3100, 3107),
        ),
        streets=(
            "Mariahilfer Straße", "Herrengasse", "Hauptplatz", "Bahnhofstraße", "Kärntner Straße", "Linzer Straße",
            "Wiener Straße", "Industriezeile", "Grazer Straße", "Kirchengasse", "Schulgasse", "Landstraßer Hauptstraße",
        ),
        number_first=False,
        first_names=(
            "Anna", "Sophie", "Lena", "Katharina", "Elisabeth", "Maria", "Theresa", "Johanna", "Julia", "Lukas",
            "Maximilian", "David", "Tobias", "Florian", "Stefan", "Markus", "Wolfgang", "Christoph", "Martin",
            "Georg", "Johannes",
        ),
        last_names=(
            "Gruber", "Huber", "Bauer", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer", "Hofer",
            "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler", "Weber", "Schwarz", "Maier",
            "Reiter", "Wimmer", "Egger", "Brunner", "Lang", "Baumgartner", "Auer",
        ),
        industries=(
            "Logistik", "Holzbau", "Elektrotechnik", "Haustechnik", "Bau", "Software", "Metallbau", "Druck",
            "Immobilien", "Tourismus", "Anlagenbau", "Energie",
        ),
        words=("Alpen", "Donau", "Tauern", "Inn", "Wienerwald", "Steirische"),
        patterns=(
            "{surname} {industry} GmbH", "{surname} {industry} GmbH", "{surname} & {surname2} OG",
            "{surname} {industry} KG", "{word} {industry} AG", "{surname} {industry} e.U.",
        ),
        public_patterns=("Magistrat {city}", "Stadtwerke {city}"),
        zip_format=_zip_digits(4),
        phone=_phone_de("+43"),
        mobile_prefixes=("664", "660", "676", "699"),
        german_transliteration=True,
    ),
    Country(
        code="CH",
        weight=8,
        cities=(
            City("Zürich", "44", 8001, 8057), City("Bern", "31", 3001, 3030), City("Basel", "61", 4001, 4059),
            City("Luzern", "41", 6003, 6015), City("St. Gallen", "71", 9000, 9016),
            City("Winterthur", "52", 8400, 8411), City("Zug", "41", 6300, 6304), City("Aarau", "62", 5000, 5004),
            City("Chur", "81", 7000, 7007),
        ),
        streets=(
            "Bahnhofstrasse", "Hauptstrasse", "Seestrasse", "Dorfstrasse", "Industriestrasse", "Poststrasse",
            "Kirchgasse", "Marktgasse", "Zürcherstrasse", "Bernstrasse", "Gewerbestrasse", "Rosenweg",
        ),
        number_first=False,
        first_names=(
            "Lea", "Mia", "Laura", "Sara", "Anna", "Noemi", "Nina", "Fabienne", "Corinne", "Luca", "Noah", "Reto",
            "Urs", "Beat", "Daniel", "Marco", "Simon", "Patrick", "Thomas", "Andreas", "Lukas",
        ),
        last_names=(
            "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Steiner", "Fischer", "Gerber",
            "Brunner", "Baumann", "Frei", "Zimmermann", "Moser", "Widmer", "Wyss", "Graf", "Roth", "Suter",
            "Bachmann", "Studer", "Bühler", "Lüthi", "Marti", "Christen",
        ),
        industries=(
            "Treuhand", "Informatik", "Haustechnik", "Präzisionstechnik", "Elektro", "Holzbau", "Gartenbau",
            "Logistik", "Uhren", "Pharma", "Verpackungen", "Maschinenbau",
        ),
        words=("Helvetia", "Alpina", "Rigi", "Säntis", "Limmat", "Aare"),
        patterns=(
            "{surname} {industry} AG", "{surname} {industry} AG", "{surname} + {surname2} AG",
            "{surname} {industry} GmbH", "{word} {industry} AG",
        ),
        public_patterns=("Stadt {city}", "Gemeindeverwaltung {city}", "Kantonsspital {city}"),
        zip_format=_zip_digits(4),
        phone=_phone_ch,
        mobile_prefixes=("79", "78", "76", "77"),
        german_transliteration=True,
    ),
    Country(
        code="NL",
        weight=7,
        cities=(
            City("Amsterdam", "20", 1011, 1109), City("Rotterdam", "10", 3011, 3089),
            City("Den Haag", "70", 2491, 2597),
            City("Utrecht", "30", 3511, 3585), City("Eindhoven", "40", 5611, 5658), City("Groningen", "50", 9711, 9747),
            City("Tilburg", "13", 5011, 5049), City("Breda", "76", 4811, 4839), City("Nijmegen", "24", 6511, 6546),
        ),
        streets=(
            "Keizersgracht", "Herengracht", "Prinsengracht", "Kerkstraat", "Dorpsstraat", "Stationsweg",
            "Hoofdstraat", "Industrieweg", "Marktplein", "Molenweg", "Havenstraat", "Schoolstraat", "Coolsingel",
        ),
        number_first=False,
        first_names=(
            "Emma", "Sophie", "Julia", "Anna", "Lisa", "Sanne", "Fleur", "Eva", "Lotte", "Daan", "Sem", "Lucas",
            "Bram", "Thijs", "Jeroen", "Bas", "Ruud", "Pieter", "Joost", "Maarten", "Sander", "Niels",
        ),
        last_names=(
            "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
            "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
            "Brouwer", "de Wit", "Dijkstra", "de Graaf", "van der Meer",
        ),
        industries=(
            "Logistiek", "Installatietechniek", "Bouw", "Automatisering", "Techniek", "Transport", "Advies",
            "Vastgoed", "Metaalbewerking", "Verpakkingen", "ICT",
        ),
        words=("Holland", "Delta", "Noordzee", "Oranje", "Polder", "Maas"),
        patterns=(
            "{surname} {industry} B.V.", "{surname} {industry} B.V.", "{surname} en Zonen B.V.",
            "{word} {industry} N.V.", "{word} {industry} B.V.",
        ),
        public_patterns=("Gemeente {city}", "Hogeschool {city}"),
        zip_format=_zip_nl,
        phone=_phone_nl,
        mobile_prefixes=("6",),
    ),
    Country(
        code="FR",
        weight=8,
        cities=(
            City("Paris", "1", 75001, 75020), City("Lyon", "472", 69001, 69009),
            City("Marseille", "491", 13001, 13016), City("Toulouse", "561", 31000, 31500, 100),
            City("Nice", "493", 6000, 6300, 100), City("Nantes", "240", 44000, 44300, 100),
            City("Strasbourg", "388", 67000, 67200, 100), City("Montpellier", "467", 34000, 34090, 10),
            City("Bordeaux", "556", 33000, 33800, 100), City("Lille", "320", 59000, 59800, 100),
        ),
        streets=(
            "rue de la République", "avenue Jean Jaurès", "boulevard Haussmann", "rue Victor Hugo",
            "rue du Général Leclerc", "place de la Mairie", "avenue de la Gare", "rue Pasteur", "rue Nationale",
            "allée des Tilleuls", "quai de la Loire", "chemin des Vignes", "rue des Écoles",
        ),
        number_first=True,
        first_names=(
            "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Claire", "Céline", "Nathalie",
            "Isabelle", "Lucas", "Hugo", "Louis", "Nicolas", "Julien", "Thomas", "Pierre", "Antoine", "Mathieu",
            "Sébastien", "Olivier", "Laurent",
        ),
        last_names=(
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
            "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
        ),
        industries=(
            "Logistique", "Électricité", "Informatique", "Bâtiment", "Conseil", "Industries", "Ingénierie",
            "Emballages", "Automatismes", "Services", "Distribution", "Mécanique",
        ),
        words=("Atlantique", "Provence", "Alpes", "Loire", "Bretagne", "Azur"),
        patterns=(
            "{surname} {industry} SARL", "{surname} {industry} SAS", "Groupe {surname} SA",
            "{surname} et Fils SARL", "Transports {surname} SAS", "Cabinet {surname} & Associés",
            "{word} {industry} SAS",
        ),
        public_patterns=("Mairie de {city}", "Université de {city}"),
        zip_format=_zip_digits(5),
        phone=_phone_grouped("+33", (1, 2, 2, 2, 2)),
        mobile_prefixes=("6", "7"),
    ),
    Country(
        code="GB",
        weight=12,
        cities=(
            City("London", "20", outward=("EC1A", "EC2M", "WC2H", "SE1", "SW1A", "W1D", "E14", "N1", "NW1")),
            City("Manchester", "161", outward=("M1", "M2", "M3", "M4", "M15")),
            City("Birmingham", "121", outward=("B1", "B2", "B3", "B5", "B15")),
            City("Leeds", "113", outward=("LS1", "LS2", "LS6", "LS11")),
            City("Bristol", "117", outward=("BS1", "BS2", "BS8")),
            City("Edinburgh", "131", outward=("EH1", "EH2", "EH3", "EH8")),
            City("Glasgow", "141", outward=("G1", "G2", "G3", "G12")),
            City("Cardiff", "29", outward=("CF10", "CF11", "CF24")),
            City("Cambridge", "1223", outward=("CB1", "CB2", "CB4")),
        ),
        streets=(
            "High Street", "Station Road", "Church Lane", "Victoria Road", "Park Road", "Mill Lane", "King Street",
            "Queen Street", "London Road", "Market Place", "Albert Road", "Bridge Street", "Castle Street",
        ),
        number_first=True,
        first_names=(
            "Oliver", "George", "Harry", "Jack", "James", "William", "Thomas", "Charlie", "Daniel", "Matthew",
            "Olivia", "Amelia", "Emily", "Isla", "Sophie", "Jessica", "Charlotte", "Grace", "Lucy", "Hannah",
            "Rachel", "Emma",
        ),
        last_names=(
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
            "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
            "Patel", "Khan", "Lewis", "Harris", "Edwards", "Hughes", "Turner", "Cooper", "Hill", "Ward",
        ),
        industries=(
            "Engineering", "Logistics", "Consulting", "Software", "Construction", "Manufacturing", "Electrical",
            "Packaging", "Print", "Facilities", "Analytics", "Solutions",
        ),
        words=("Northern", "Albion", "Crown", "Phoenix", "Summit", "Pinnacle", "Meridian", "Sterling", "Harbour"),
        patterns=(
            "{surname} {industry} Ltd", "{surname} {industry} Ltd", "{surname} & {surname2} LLP",
            "{surname} & Sons Ltd", "{word} {industry} plc", "{surname} Group plc", "{word} {industry} Ltd",
        ),
        public_patterns=("{city} City Council", "University of {city}"),
        zip_format=_zip_gb,
        phone=_phone_gb,
        mobile_prefixes=("7700 900",),
    ),
    Country(
        code="US",
        weight=17,
        cities=(
            City("New York", "212", 10001, 10282), City("San Francisco", "415", 94102, 94134),
            City("Chicago", "312", 60601, 60661), City("Austin", "512", 78701, 78759),
            City("Seattle", "206", 98101, 98199), City("Boston", "617", 2108, 2137),
            City("Denver", "303", 80202, 80239), City("Atlanta", "404", 30303, 30363),
            City("Portland", "503", 97201, 97239), City("Minneapolis", "612", 55401, 55488),
            City("Raleigh", "919", 27601, 27617), City("San Diego", "619", 92101, 92199),
        ),
        streets=(
            "Main Street", "Market Street", "Broadway", "Oak Avenue", "Pine Street", "Maple Avenue",
            "Washington Boulevard", "Park Avenue", "Elm Street", "Cedar Lane", "Industrial Parkway",
            "Commerce Drive", "Technology Drive", "Congress Avenue",
        ),
        number_first=True,
        first_names=(
            "James", "John", "Robert", "Michael", "David", "William", "Richard", "Joseph", "Chris", "Kevin",
            "Brian", "Jason", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica", "Sarah",
            "Karen", "Emily", "Ashley", "Megan", "Maria",
        ),
        last_names=(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
            "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
            "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "Nguyen",
            "Kim", "Patel",
        ),
        industries=(
            "Logistics", "Manufacturing", "Software", "Health Systems", "Analytics", "Energy", "Construction",
            "Financial Group", "Consulting", "Labs", "Networks", "Robotics",
        ),
        words=(
            "Blue Ridge", "Pacific", "Summit", "Liberty", "Evergreen", "Keystone", "Redwood", "Lakeside",
            "Frontier", "Granite", "Northstar",
        ),
        patterns=(
            "{surname} {industry}, Inc.", "{surname} {industry}, Inc.", "{surname} & {surname2} LLP",
            "{word} {industry} LLC", "{word} {industry} Corp.", "{surname} Brothers {industry}",
        ),
        public_patterns=("City of {city}", "{city} Community College", "{city} Public Library"),
        zip_format=_zip_digits(5),
        phone=_phone_us,
        mobile_prefixes=("201", "646", "917", "415", "312"),
    ),
    Country(
        code="SE",
        weight=5,
        cities=(
            City("Stockholm", "8", 11120, 11869), City("Göteborg", "31", 41101, 41879),
            City("Malmö", "40", 21115, 21776), City("Uppsala", "18", 75220, 75758),
            City("Linköping", "13", 58183, 58758), City("Västerås", "21", 72210, 72481),
            City("Örebro", "19", 70210, 70382),
        ),
        streets=(
            "Drottninggatan", "Kungsgatan", "Storgatan", "Vasagatan", "Sveavägen", "Industrigatan", "Hamngatan",
            "Skolgatan", "Kyrkogatan", "Järnvägsgatan", "Södra vägen",
        ),
        number_first=False,
        first_names=(
            "Anna", "Eva", "Maria", "Karin", "Sara", "Emma", "Elin", "Ida", "Linnea", "Erik", "Lars", "Karl",
            "Anders", "Johan", "Per", "Magnus", "Oskar", "Gustav", "Henrik", "Fredrik",
        ),
        last_names=(
            "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
            "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Bengtsson", "Lindberg", "Lindström",
            "Lindqvist", "Berglund", "Sandberg",
        ),
        industries=(
            "Logistik", "Bygg", "Data", "Teknik", "Konsult", "Verkstad", "Energi", "Transport", "Förpackning",
        ),
        words=("Nordisk", "Svea", "Polar", "Norrsken", "Fjäll", "Väst", "Öst"),
        patterns=("{surname}s {industry} AB", "{surname}s {industry} AB", "{word} {industry} AB",
                  "{surname} & {surname2} AB"),
        public_patterns=("{city} kommun", "{city} universitet"),
        zip_format=_zip_se,
        phone=_phone_se,
        mobile_prefixes=("70", "72", "73", "76"),
    ),
)  # fmt: skip

COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}
GERMAN_SPEAKING = frozenset({"DE", "AT", "CH"})

CUSTOMER_COMMENTS = (
    "Key account",
    "Framework contract until the end of 2026",
    "Invoices only through their e-procurement portal",
    "Prefers to be contacted by phone",
    "On-site support on Tuesdays and Thursdays",
    "Migrated from OTRS 6",
    "Maintenance window: Saturdays 22:00-02:00",
    "Reseller; their end customers are handled directly",
    "Support in German and English",
    "Escalations go to their IT manager first",
    "Remote access only through their jump host",
    "Annual review meeting in March",
)
INVALID_COMMENTS = (
    "Contract terminated",
    "Insolvency proceedings",
    "Merged into another customer",
    "No longer a customer",
)
PAUSED_COMMENTS = (
    "Contract under renegotiation",
    "Account on hold: overdue invoices",
    "Paused until the new budget year",
)
CUSTOMER_USER_COMMENTS = (
    "Main contact for invoices",
    "IT manager",
    "Works part-time (mornings)",
    "Prefers email",
    "Deputy of the IT manager",
    "Approves orders",
)

# (English, German) pairs of the same length, so that the title a ticket draws does not
# depend on the language of the customer it ends up with.
TICKET_TITLES = (
    ("VPN connection drops every few minutes", "VPN-Verbindung bricht alle paar Minuten ab"),
    ("Cannot log in to the customer portal", "Anmeldung am Kundenportal nicht möglich"),
    ("Invoice shows the wrong VAT rate", "Rechnung weist falschen Mehrwertsteuersatz aus"),
    ("Printer on the second floor is offline", "Drucker im zweiten Stock ist offline"),
    ("Request for a new laptop", "Anforderung eines neuen Laptops"),
    ("Emails to external recipients are delayed", "E-Mails an externe Empfänger kommen verspätet an"),
    ("Password reset for a new colleague", "Passwort-Reset für neuen Kollegen"),
    ("Outlook keeps asking for the password", "Outlook fragt ständig nach dem Passwort"),
    ("Backup job failed last night", "Sicherung ist heute Nacht fehlgeschlagen"),
    ("Please extend our licence by 10 seats", "Bitte Lizenz um 10 Arbeitsplätze erweitern"),
    ("Website loads very slowly", "Webseite lädt sehr langsam"),
    ("Error 500 when uploading documents", "Fehler 500 beim Hochladen von Dokumenten"),
    ("Shared drive not reachable from home office", "Netzlaufwerk im Homeoffice nicht erreichbar"),
    ("Question about the last invoice", "Frage zur letzten Rechnung"),
    ("New employee starts on Monday: accounts needed", "Neuer Mitarbeiter ab Montag: Zugänge benötigt"),
    ("Phone system drops calls", "Telefonanlage: Gespräche brechen ab"),
    ("Certificate expires next week", "Zertifikat läuft nächste Woche ab"),
    ("Please update our billing address", "Bitte Rechnungsanschrift aktualisieren"),
    ("Data export for the annual audit", "Datenexport für die Jahresprüfung"),
    ("Wi-Fi in the meeting room is unstable", "WLAN im Besprechungsraum ist instabil"),
    ("Order confirmation never arrived", "Auftragsbestätigung ist nicht angekommen"),
    ("Spam filter blocks a supplier's emails", "Spamfilter blockiert E-Mails eines Lieferanten"),
    ("Lost the two-factor authentication app", "App für die Zwei-Faktor-Anmeldung verloren"),
    ("Monitor flickers after the update", "Bildschirm flackert nach dem Update"),
    ("Access rights for the project folder", "Zugriffsrechte für den Projektordner"),
    ("ERP interface reports duplicate orders", "ERP-Schnittstelle meldet doppelte Aufträge"),
    ("Scheduled maintenance: please confirm the date", "Geplante Wartung: bitte Termin bestätigen"),
    ("Cannot open PDF attachments", "PDF-Anhänge lassen sich nicht öffnen"),
    ("Phones do not sync the calendar", "Mobilgeräte synchronisieren den Kalender nicht"),
    ("Request for a quote: additional storage", "Angebotsanfrage: zusätzlicher Speicher"),
    ("Temperature alarm in the server room", "Temperaturalarm im Serverraum"),
    ("Account locked after too many attempts", "Konto nach zu vielen Versuchen gesperrt"),
    ("Report shows no data since Monday", "Bericht zeigt seit Montag keine Daten"),
    ("Please cancel our last order", "Bitte letzte Bestellung stornieren"),
    ("Delivery note missing from the shipment", "Lieferschein fehlt in der Sendung"),
    ("Training for the new release", "Schulung zur neuen Version"),
    ("Replace keyboard and mouse", "Tastatur und Maus austauschen"),
    ("Firewall blocks the video conference tool", "Firewall blockiert das Videokonferenz-Tool"),
    ("Database connection timeouts", "Zeitüberschreitungen bei der Datenbankverbindung"),
    ("Feature request: export to Excel", "Funktionswunsch: Export nach Excel"),
)

SLAS = (
    # name, first response, update, solution (minutes), comment
    ("Gold", 60, 240, 1440, "24/7 hotline: response within an hour, solution within a day"),
    ("Silver", 240, 720, 4320, "Response within 4 hours, solution within 3 days"),
    ("Bronze", 480, 1440, 10080, "Best effort: response within a working day, solution within a week"),
)

# Out of 100 customers: Gold, Silver, Bronze, or no SLA at all.
_SLA_TIER_LIMITS = ((15, 0), (45, 1), (70, 2))

# (state, weight): most tickets are closed, a good share open or new, the rest pending,
# merged or removed. The first tickets take every state once, so small runs show them all.
STATE_WEIGHTS = (
    (TicketState.CLOSED_SUCCESSFUL, 52),
    (TicketState.CLOSED_UNSUCCESSFUL, 8),
    (TicketState.OPEN, 15),
    (TicketState.NEW, 7),
    (TicketState.PENDING_REMINDER, 7),
    (TicketState.PENDING_AUTO_CLOSE_PLUS, 3),
    (TicketState.PENDING_AUTO_CLOSE_MINUS, 2),
    (TicketState.MERGED, 4),
    (TicketState.REMOVED, 2),
)
_STATE_ORDER = (
    TicketState.OPEN,
    TicketState.NEW,
    TicketState.PENDING_REMINDER,
    TicketState.CLOSED_SUCCESSFUL,
    TicketState.PENDING_AUTO_CLOSE_PLUS,
    TicketState.CLOSED_UNSUCCESSFUL,
    TicketState.PENDING_AUTO_CLOSE_MINUS,
    TicketState.MERGED,
    TicketState.REMOVED,
)
PRIORITY_WEIGHTS = (
    (Priority.VERY_LOW, 4),
    (Priority.LOW, 12),
    (Priority.NORMAL, 64),
    (Priority.HIGH, 15),
    (Priority.VERY_HIGH, 5),
)
CUSTOMER_VALIDITY_WEIGHTS = ((Validity.VALID, 84), (Validity.INVALID, 10), (Validity.INVALID_TEMPORARILY, 6))
CUSTOMER_USER_VALIDITY_WEIGHTS = ((Validity.VALID, 90), (Validity.INVALID, 7), (Validity.INVALID_TEMPORARILY, 3))
# A few fixed validities so that small runs show every one.
_FORCED_CUSTOMER_VALIDITY = {0: Validity.VALID, 3: Validity.INVALID, 5: Validity.INVALID_TEMPORARILY}
_FORCED_CUSTOMER_USER_VALIDITY = {0: Validity.VALID, 4: Validity.INVALID, 9: Validity.INVALID_TEMPORARILY}


class _WeightedChoice:
    """``rng.random()`` -> value by weight; one draw, no per-call list building."""

    def __init__(self, pairs):
        total = sum(weight for _value, weight in pairs)
        self.values = [value for value, _weight in pairs]
        self.limits = []
        running = 0
        for _value, weight in pairs:
            running += weight
            self.limits.append(running / total)

    def __call__(self, rng):
        roll = rng.random()
        for value, limit in zip(self.values, self.limits, strict=True):
            if roll < limit:
                return value
        return self.values[-1]


_pick_country = _WeightedChoice([(country, country.weight) for country in COUNTRIES])
_pick_state = _WeightedChoice(STATE_WEIGHTS)
_pick_priority = _WeightedChoice(PRIORITY_WEIGHTS)
_pick_customer_validity = _WeightedChoice(CUSTOMER_VALIDITY_WEIGHTS)
_pick_customer_user_validity = _WeightedChoice(CUSTOMER_USER_VALIDITY_WEIGHTS)

_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_LEGAL_FORMS = frozenset("gmbh co kg ag ek eu og bv nv sarl sas sa ltd llp plc inc llc corp ab et associes".split())


def ascii_letters(text, german=False):
    """``text`` folded to lower-case ASCII letters only (``"van den Berg"`` -> ``"vandenberg"``)."""
    if german:
        text = text.translate(_GERMAN_LETTERS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "".join(char for char in text if "a" <= char <= "z")


def domain_for(name, german=False):
    """A web domain for a company name, under the reserved ``.example`` top-level domain."""
    if german:
        name = name.translate(_GERMAN_LETTERS)
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower().replace(".", "")
    words = [word for word in re.split(r"[^a-z0-9]+", folded) if word and word not in _LEGAL_FORMS]
    return "-".join(words[:4] or ["customer"]) + ".example"


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


@dataclass
class ModelCounts:
    """How many records of ``model`` a run created and how many were there already."""

    model: type
    created: int = 0
    present: int = 0

    @property
    def label(self):
        return capfirst(self.model._meta.verbose_name_plural)


@dataclass
class DemoDataResult:
    counts: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def __getitem__(self, model):
        return next(counts for counts in self.counts if counts.model is model)


@dataclass
class _CustomerInfo:
    pk: int
    country: str
    domain: str
    sla: object
    key_account: bool = False


@contextmanager
def _collecting_garbage_per_batch():
    """Collect garbage once per batch (``gc.collect(0)``) instead of whenever allocations pile up.

    A batch is thousands of model instances that all stay alive until it is written,
    next to hundreds of thousands of long-lived index entries; the automatic collector
    would scan them again and again. Model instances hold no reference cycles, so
    reference counting frees a written batch at once.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _one_transaction():
    """The whole run in one transaction: all of the demo data, or (after an error) none.

    It is also much faster than a commit per batch: tickets have ten indexes, most of
    them on random keys, so every batch changes pages all over them, and each commit
    writes those pages again (twice, with SQLite's rollback journal). With a commit per
    5,000 tickets, a million tickets wrote 22 GB; in one transaction each page is
    written about once.
    """
    with ExitStack() as stack:
        for using in {router.db_for_write(model) for model in (SLA, Customer, CustomerUser, Ticket)}:
            stack.enter_context(transaction.atomic(using=using))
        yield


@contextmanager
def _large_sqlite_cache(megabytes=256):
    """On SQLite, a page cache that holds most of the ticket indexes being loaded.

    With the default (2 MB) every insert into the ticket indexes reads and writes pages
    through the operating system, and pages changed in the transaction spill to disk
    again and again before the commit. SQLite allocates the cache as pages are used, so
    small runs stay small. Per connection, and restored afterwards.
    """
    connection = connections[router.db_for_write(Ticket)]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class _RowWriter:
    """Insert unsaved instances of ``model``: one ``executemany`` per batch, in a transaction.

    ``bulk_create`` prepares every value of every row through the field API and spends
    about 120 µs a ticket doing so, more than half of a run at a million tickets. Here
    each column gets its adapter once: the backend's ``adapt_datetimefield_value`` for
    datetimes, ``str``/``int`` for plain text and numbers, ``get_db_prep_save`` for
    anything else. ``pre_save`` still runs for ``auto_now`` fields. The statement goes
    through Django's cursor, so query logging, ``execute_wrapper`` and
    ``CaptureQueriesContext`` see it (as one query per batch).

    Only for models whose writes need no queryset logic: tickets (customers and customer
    users go through their ``bulk_create``, which enforces the read-only data sources).
    """

    def __init__(self, model):
        opts = model._meta
        self.using = router.db_for_write(model)
        connection = connections[self.using]
        self.fields = [
            field
            for field in opts.concrete_fields
            if not getattr(field, "generated", False) and not (field.primary_key and field.db_returning)
        ]
        self.attnames = [field.attname for field in self.fields]
        self.pre_save = [field for field in self.fields if getattr(field, "auto_now", False)]
        self.adapters = [self._adapter(field, connection) for field in self.fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"

    @staticmethod
    def _adapter(field, connection):
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        if kind == "DateTimeField":
            adapt = connection.ops.adapt_datetimefield_value
            if connection.vendor != "sqlite" or not django_settings.USE_TZ:
                return adapt
            zone = connection.timezone

            # What SQLite's adapt_datetimefield_value() makes of an aware datetime, without
            # its checks per value: they cost 60 % of preparing a ticket row.
            def adapt_aware(value):
                if value is None or value.tzinfo is None:
                    return adapt(value)
                return str(value.astimezone(zone).replace(tzinfo=None))

            return adapt_aware
        if kind in ("CharField", "TextField", "EmailField", "SlugField", "URLField"):
            return lambda value: None if value is None else str(value)
        if kind in ("AutoField", "BigAutoField", "SmallAutoField") or kind.endswith("IntegerField"):
            return lambda value: None if value is None else int(value)
        return lambda value: field.get_db_prep_save(value, connection=connection)

    def insert(self, objs):
        for obj in objs:
            for field in self.pre_save:
                field.pre_save(obj, add=True)
        pairs = list(zip(self.attnames, self.adapters, strict=True))
        rows = [[adapt(values[name]) for name, adapt in pairs] for values in (obj.__dict__ for obj in objs)]
        with transaction.atomic(using=self.using, savepoint=False), connections[self.using].cursor() as cursor:
            cursor.executemany(self.sql, rows)


class _Constructor:
    """Make unsaved instances of ``model`` from keyword values, through ``model(*args)``.

    Positional arguments skip most of ``Model.__init__``'s keyword handling, which is
    three quarters of its cost; that counts at a million tickets. Fields not given get
    their default.
    """

    def __init__(self, model):
        fields = model._meta.concrete_fields
        self.model = model
        self.positions = {field.attname: position for position, field in enumerate(fields)}
        self.defaults = [None if field.primary_key else field.get_default() for field in fields]

    def __call__(self, **values):
        args = self.defaults.copy()
        positions = self.positions
        for name, value in values.items():
            args[positions[name]] = value
        return self.model(*args)


class DemoDataGenerator:
    """Create what is missing of the demo data set ``(customers, customer_users, tickets, seed)``."""

    def __init__(
        self,
        customers=DEFAULT_CUSTOMERS,
        customer_users=DEFAULT_CUSTOMER_USERS,
        tickets=DEFAULT_TICKETS,
        seed=DEFAULT_SEED,
        batch_size=DEFAULT_BATCH_SIZE,
        now=None,
        progress=None,
    ):
        for name, value in (("customers", customers), ("customer users", customer_users), ("tickets", tickets)):
            if value < 0:
                raise DemoDataError(gettext("The number of %(what)s cannot be negative.") % {"what": name})
        if batch_size < 1:
            raise DemoDataError(gettext("The batch size must be at least 1."))
        self.customer_count = customers
        self.customer_user_count = customer_users
        self.ticket_count = tickets
        self.seed = seed
        self.batch_size = batch_size
        self.now = now or timezone.now()
        self.progress = progress or (lambda message: None)
        self.rng = random.Random()
        self.new_customer = _Constructor(Customer)
        self.new_customer_user = _Constructor(CustomerUser)
        self.new_ticket = _Constructor(Ticket)
        self.sla_field = Ticket._meta.get_field("sla")
        self.ticket_writer = _RowWriter(Ticket)

    def _rng(self, kind, index):
        self.rng.seed(_seed_for(self.seed, kind, index))
        return self.rng

    def run(self):
        started = time.monotonic()
        if (self.customer_user_count or self.ticket_count) and not self.customer_count:
            raise DemoDataError(gettext("Customer users and tickets need customers: use --customers 1 or more."))
        self.data_source = default_data_source_key()
        if not self.data_source:
            raise DemoDataError(
                gettext(
                    "There is no writable data source: demo data can only be loaded into one. "
                    "Configure a writable source (such as the database source) in OTRS_CUSTOMER_ADMIN['DATA_SOURCES']."
                )
            )
        result = DemoDataResult()
        with _collecting_garbage_per_batch(), _large_sqlite_cache(), _one_transaction():
            slas, counts = self.load_slas()
            result.counts.append(counts)
            customers, counts = self.load_customers(slas)
            result.counts.append(counts)
            customer_users, counts = self.load_customer_users(customers)
            result.counts.append(counts)
            result.counts.append(self.load_tickets(customers, customer_users))
        result.seconds = time.monotonic() - started
        return result

    def _counts(self, model):
        return ModelCounts(model)

    def _report(self, counts, done, total):
        gc.collect(0)
        self.progress(
            gettext("%(model)s: %(done)s of %(total)s")
            % {"model": counts.label, "done": f"{done:,}", "total": f"{total:,}"}
        )

    # -- SLAs ---------------------------------------------------------------

    def load_slas(self):
        counts = self._counts(SLA)
        existing = {sla.name.lower(): sla for sla in SLA.objects.all()}
        missing = [
            SLA(name=name, first_response_time=response, update_time=update, solution_time=solution, comment=comment)
            for name, response, update, solution, comment in SLAS
            if name.lower() not in existing
        ]
        counts.present = len(SLAS) - len(missing)
        if missing:
            SLA.objects.bulk_create(missing)
            counts.created = len(missing)
            if any(sla.pk is None for sla in missing):  # databases that return no ids from bulk inserts
                existing = {sla.name.lower(): sla for sla in SLA.objects.all()}
            else:
                existing.update((sla.name.lower(), sla) for sla in missing)
        return [existing[name.lower()] for name, *_rest in SLAS], counts

    def sla_for_customer(self, index, slas):
        roll = (index * 2654435761 + abs(self.seed) * 40503) % 100
        for limit, tier in _SLA_TIER_LIMITS:
            if roll < limit:
                return slas[tier]
        return None

    # -- customers ----------------------------------------------------------

    def load_customers(self, slas):
        """Returns a list, by index, of ``_CustomerInfo`` for the demo customers, and the counts."""
        counts = self._counts(Customer)
        infos = [None] * self.customer_count
        used_names = set()
        rows = Customer.objects.values_list("customer_id", "pk", "name", "country").order_by()
        for customer_id, pk, name, country in rows.iterator(chunk_size=self.batch_size):
            used_names.add(name.lower())
            index = _index_from_key(_CUSTOMER_ID_RE, customer_id, demo_customer_id)
            if index is not None and index < self.customer_count:
                infos[index] = self._customer_info(index, pk, name, country, slas)
        counts.present = sum(info is not None for info in infos)

        batch = []
        for index in range(self.customer_count):
            if infos[index] is not None:
                continue
            batch.append(self.make_customer(index, used_names))
            if len(batch) >= self.batch_size:
                self._create_customers(batch, infos, slas, counts)
                batch = []
        self._create_customers(batch, infos, slas, counts)
        return infos, counts

    def _customer_info(self, index, pk, name, country, slas):
        country = str(country)
        return _CustomerInfo(
            pk=pk,
            country=country,
            domain=domain_for(name, german=country in GERMAN_SPEAKING),
            sla=self.sla_for_customer(index, slas),
            key_account=index < KEY_ACCOUNTS,
        )

    def _create_customers(self, batch, infos, slas, counts):
        if not batch:
            return
        Customer.objects.bulk_create(batch, batch_size=self.batch_size)
        if any(customer.pk is None for customer in batch):
            ids = {customer.customer_id: None for customer in batch}
            rows = Customer.objects.filter(customer_id__in=list(ids)).values_list("customer_id", "pk")
            pks = dict(rows)
            for customer in batch:
                customer.pk = pks[customer.customer_id]
        for customer in batch:
            index = _index_from_key(_CUSTOMER_ID_RE, customer.customer_id, demo_customer_id)
            infos[index] = self._customer_info(index, customer.pk, customer.name, customer.country, slas)
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.customer_count)

    def make_customer(self, index, used_names):
        rng = self._rng(_KIND_CUSTOMER, index)
        country = _pick_country(rng)
        city = rng.choice(country.cities)
        street = country.street(rng)
        zip_code = country.zip(rng, city)
        valid = _pick_customer_validity(rng)
        valid = _FORCED_CUSTOMER_VALIDITY.get(index, valid)
        has_url = rng.random() < 0.9
        comment_roll = rng.random()
        comment_pick = rng.randrange(60)
        if valid == Validity.INVALID:
            comment = INVALID_COMMENTS[comment_pick % len(INVALID_COMMENTS)]
        elif valid == Validity.INVALID_TEMPORARILY:
            comment = PAUSED_COMMENTS[comment_pick % len(PAUSED_COMMENTS)]
        elif comment_roll < 0.3:
            comment = CUSTOMER_COMMENTS[comment_pick % len(CUSTOMER_COMMENTS)]
        else:
            comment = ""
        name = self.customer_name(rng, country, city, used_names)
        used_names.add(name.lower())
        return self.new_customer(
            customer_id=demo_customer_id(index),
            name=name,
            street=street,
            zip=zip_code,
            city=city.name,
            country=country.code,
            url=f"https://www.{domain_for(name, country.german_transliteration)}/" if has_url else "",
            comment=comment,
            valid=valid,
            data_source=self.data_source,
        )

    def customer_name(self, rng, country, city, used_names):
        """A company name, unique ignoring case among ``used_names``."""
        for attempt in range(6):
            if attempt == 0 and rng.random() < 0.07:
                pattern = rng.choice(country.public_patterns)
            else:
                pattern = rng.choice(country.patterns)
            industry = rng.choice(country.industries)
            surname, surname2 = rng.sample(country.last_names, 2)
            name = pattern.format(
                surname=surname,
                surname2=surname2,
                industry=industry,
                industry_lower=industry.lower(),
                word=rng.choice(country.words),
                city=city.name,
            )
            name = name[0].upper() + name[1:]
            if attempt >= 3 and city.name not in name:
                name = f"{name} {city.name}"  # a branch: "Müller Logistik GmbH Hamburg"
            if name.lower() not in used_names:
                return name
        base, number = name, 2
        while f"{base} {number}".lower() in used_names:
            number += 1
        return f"{base} {number}"

    # -- customer users -----------------------------------------------------

    def _person(self, rng):
        country = _pick_country(rng)
        first_name = rng.choice(country.first_names)
        last_name = rng.choice(country.last_names)
        return country, first_name, last_name

    def login_for(self, index, country, first_name, last_name):
        german = country.german_transliteration
        return f"{ascii_letters(first_name, german)}.{ascii_letters(last_name, german)}{index + 1}"

    def expected_login(self, index):
        rng = self._rng(_KIND_CUSTOMER_USER, index)
        return self.login_for(index, *self._person(rng))

    def load_customer_users(self, customers):
        """Returns two lists by index, (customer user pk, customer pk), and the counts."""
        counts = self._counts(CustomerUser)
        total = self.customer_user_count
        user_pks = [None] * total
        user_customers = [None] * total
        rows = CustomerUser.objects.values_list("login", "pk", "customer_id").order_by()
        for login, pk, customer_pk in rows.iterator(chunk_size=self.batch_size):
            match = _LOGIN_RE.match(login.lower())
            if match is None:
                continue
            index = int(match[1]) - 1
            if index < total and user_pks[index] is None and self.expected_login(index) == login.lower():
                user_pks[index] = pk
                user_customers[index] = customer_pk
        counts.present = sum(pk is not None for pk in user_pks)

        by_country = defaultdict(list)
        for info in customers:
            by_country[info.country].append(info)
        batch = []
        for index in range(total):
            if user_pks[index] is not None:
                continue
            batch.append(self.make_customer_user(index, customers, by_country))
            if len(batch) >= self.batch_size:
                self._create_customer_users(batch, user_pks, user_customers, counts)
                batch = []
        self._create_customer_users(batch, user_pks, user_customers, counts)
        return (user_pks, user_customers), counts

    def _create_customer_users(self, batch, user_pks, user_customers, counts):
        if not batch:
            return
        CustomerUser.objects.bulk_create(batch, batch_size=self.batch_size)
        if any(user.pk is None for user in batch):
            rows = CustomerUser.objects.filter(login__in=[user.login for user in batch]).values_list("login", "pk")
            pks = dict(rows)
            for user in batch:
                user.pk = pks[user.login]
        for user in batch:
            index = int(_LOGIN_RE.match(user.login)[1]) - 1
            user_pks[index] = user.pk
            user_customers[index] = user.customer_id
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.customer_user_count)

    def make_customer_user(self, index, customers, by_country):
        rng = self._rng(_KIND_CUSTOMER_USER, index)
        country, first_name, last_name = self._person(rng)
        login = self.login_for(index, country, first_name, last_name)
        title_roll = rng.random()
        valid = _FORCED_CUSTOMER_USER_VALIDITY.get(index, _pick_customer_user_validity(rng))
        city = rng.choice(country.cities)
        phone = country.phone(rng, city.area)
        mobile = country.mobile(rng) if rng.random() < 0.6 else ""
        fax = country.phone(rng, city.area) if country.code in GERMAN_SPEAKING and rng.random() < 0.15 else ""
        comment = rng.choice(CUSTOMER_USER_COMMENTS) if rng.random() < 0.1 else ""
        # Last, because it depends on how many customers there are: people work for a
        # customer in their own country where there is one, the first customers employ more.
        pool = by_country.get(country.code) or customers
        customer = pool[int(len(pool) * rng.random() ** 1.5)]
        return self.new_customer_user(
            login=login,
            title="Dr." if title_roll < 0.05 else "",
            first_name=first_name,
            last_name=last_name,
            email=f"{login}@{customer.domain}",
            customer_id=customer.pk,
            phone=phone,
            fax=fax,
            mobile=mobile,
            country=country.code,
            comment=comment,
            valid=valid,
            data_source=self.data_source,
        )

    # -- tickets ------------------------------------------------------------

    def load_tickets(self, customers, customer_users):
        counts = self._counts(Ticket)
        total = self.ticket_count
        present = bytearray(total)
        numbers = Ticket.objects.filter(number__startswith=TICKET_NUMBER_PREFIX).values_list("number", flat=True)
        for number in numbers.order_by().iterator(chunk_size=self.batch_size):
            index = _index_from_key(_TICKET_NUMBER_RE, number, demo_ticket_number)
            if index is not None and index < total:
                present[index] = 1
        counts.present = sum(present)

        user_pks, user_customers = customer_users
        by_pk = {info.pk: info for info in customers}
        # Tickets come from the demo customer users, or straight from a demo customer
        # when there are none.
        senders = [(pk, by_pk.get(customer_pk)) for pk, customer_pk in zip(user_pks, user_customers, strict=True)]
        senders = [(pk, info) for pk, info in senders if info is not None] or [(None, info) for info in customers]
        key_senders = [(pk, info) for pk, info in senders if info.key_account]

        batch = []
        for index in range(total):
            if present[index]:
                continue
            batch.append(self.make_ticket(index, senders, key_senders))
            if len(batch) >= self.batch_size:
                self._create_tickets(batch, counts)
                batch = []
        self._create_tickets(batch, counts)
        if counts.created:
            # The rows went in without the queryset (see _RowWriter): store the counts now.
            recount_tickets([info.pk for info in customers], user_pks)
        return counts

    def _create_tickets(self, batch, counts):
        if not batch:
            return
        now = self.now
        for ticket in batch:
            closed_at = ticket.closed_at
            pending_since = ticket.pending_since
            ticket.prepare_for_save(now)
            # prepare_for_save() stamps "now" on tickets that are pending or closed
            # from the start; demo tickets have a history, so put the real times back.
            if ticket.state in CLOSED_STATES:
                ticket.closed_at = closed_at
            if pending_since is not None and ticket.state in PENDING_STATES:
                ticket.pending_since = pending_since
        self.ticket_writer.insert(batch)
        counts.created += len(batch)
        self._report(counts, counts.created + counts.present, self.ticket_count)

    def make_ticket(self, index, senders, key_senders=()):
        rng = self._rng(_KIND_TICKET, index)
        now = self.now
        state = _pick_state(rng)
        if index < len(_STATE_ORDER):
            state = _STATE_ORDER[index]
        priority = _pick_priority(rng)
        title_index = rng.randrange(len(TICKET_TITLES))
        if state == TicketState.NEW:
            age = min(rng.expovariate(1 / (0.6 * DAY)), 14 * DAY)
        elif state == TicketState.OPEN:
            age = min(rng.expovariate(1 / (3 * DAY)), HISTORY_DAYS * DAY)
        elif state in PENDING_STATES:
            age = min(rng.expovariate(1 / (6 * DAY)), HISTORY_DAYS * DAY)
        else:
            age = rng.uniform(0, HISTORY_DAYS * DAY)
        age = max(age, 5 * MINUTE)
        created_at = now - timedelta(seconds=age)
        responded = rng.random() < 0.93
        response_after = min(rng.expovariate(1 / (3 * HOUR)), age * 0.5)
        update_share = rng.random() ** 0.5
        close_after = min(response_after + rng.expovariate(1 / (2 * DAY)), age)
        pending_offset = rng.uniform(-3 * DAY, 10 * DAY)

        first_response_at = last_update_at = closed_at = pending_until = pending_since = None
        if state != TicketState.NEW and responded:
            first_response_at = created_at + timedelta(seconds=response_after)
            last_update_at = first_response_at
        if state in CLOSED_STATES:
            closed_at = last_update_at = created_at + timedelta(seconds=close_after)
        elif state in (TicketState.MERGED, TicketState.REMOVED):
            pass
        elif first_response_at is not None:
            last_update_at = created_at + timedelta(seconds=response_after + (age - response_after) * update_share)
        if state in PENDING_STATES:
            # Pending reminders are spread from three days ago to ten days ahead (so some are
            # due); pending auto closes mostly lie ahead.
            if state != TicketState.PENDING_REMINDER:
                pending_offset = pending_offset * 0.6 + 2 * DAY
            set_pending_at = last_update_at or created_at
            pending_until = max(now + timedelta(seconds=pending_offset), set_pending_at + timedelta(hours=1))
            pending_since = set_pending_at

        # A few key accounts send a share of all tickets (10,000 and more each at a million
        # tickets); the rest is spread thinly, earlier customer users sending more.
        if key_senders and rng.random() < KEY_ACCOUNT_SHARE:
            user_pk, customer = key_senders[int(len(key_senders) * rng.random())]
        else:
            user_pk, customer = senders[int(len(senders) * rng.random() ** 1.3)]
        english, german = TICKET_TITLES[title_index]
        ticket = self.new_ticket(
            number=demo_ticket_number(index),
            title=german if customer.country in GERMAN_SPEAKING else english,
            customer_id=customer.pk,
            customer_user_id=user_pk,
            state=state,
            priority=priority,
            sla_id=customer.sla.pk if customer.sla else None,
            pending_until=pending_until,
            pending_since=pending_since,
            created_at=created_at,
            first_response_at=first_response_at,
            last_update_at=last_update_at,
            closed_at=closed_at,
        )
        # The SLA object itself, so that prepare_for_save() reads its targets without a query.
        self.sla_field.set_cached_value(ticket, customer.sla)
        return ticket


def load_demo_data(**options):
    """Create the missing demo records; returns a ``DemoDataResult``. See ``DemoDataGenerator``."""
    return DemoDataGenerator(**options).run()
