"""Where the demo customers are, and what their names, addresses and phone numbers look like.

One ``Country`` per country: its cities (with postcode ranges and telephone area codes),
streets, first and last names, the words company names are made of, and how its
postcodes and phone numbers are written. ``ascii_letters`` and ``domain_for`` turn names
into logins and web domains.
"""

import re
import unicodedata
from dataclasses import dataclass


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
