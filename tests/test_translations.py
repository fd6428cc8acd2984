"""The German translation: complete, compiled, up to date with the code, and what a German admin sees.

The catalogues are ``otrs_customer_admin/locale/de/LC_MESSAGES/django.po`` (the package; no
``djangojs``, since its JavaScript shows no text) and ``example_project/locale/de/LC_MESSAGES/django.po``
(the example site's own strings). A string added to the code without a German translation fails
``test_makemessages_finds_no_new_strings``; ``scripts/update-translations`` brings the catalogues up to
date, then translate every new entry and run it again to compile (docs/development.md).
"""

import ast
import gettext
import io
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core import checks
from django.core.management import call_command, load_command_class
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from otrs_customer_admin.models import SyncRun, TicketState
from tests import harness
from tests.factories import ACME_ADDRESS, make_customer, make_customer_user, make_ticket
from tests.markup import document, element, elements, text

PACKAGE_DIR = harness.REPO_ROOT / "otrs_customer_admin"
EXAMPLE_DIR = harness.REPO_ROOT / "example_project"
# The directories makemessages runs in (each has its own locale/), with what it must not read.
CATALOGUE_ROOTS = {"package": (PACKAGE_DIR, ()), "example site": (EXAMPLE_DIR, ("static", "db.sqlite3"))}
# The options scripts/update-translations passes; the regenerated catalogue must match the committed one.
MAKEMESSAGES_OPTIONS = ["--locale", "de", "--no-obsolete", "--add-location", "file"]
UPDATE_HINT = "run scripts/update-translations, translate the new entries, and run it again to compile"


def catalogue(root, domain="django"):
    return root / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"


CATALOGUES = [
    pytest.param(catalogue(root, domain), id=f"{name}-{domain}")
    for name, (root, _) in CATALOGUE_ROOTS.items()
    for domain in ("django", "djangojs")
    if catalogue(root, domain).exists()
]


# Reading a catalogue: babel's read_po
# ---------------------------------------------------------------------------


def read_catalogue(path):
    """The catalogue at ``path``; a line that babel cannot read, or a msgstr[2] in German, fails."""
    with Path(path).open("rb") as file:
        return read_po(file, abort_invalid=True)


def messages_of(catalogue):
    """Its messages: not the header (msgid ""), and no obsolete ones (``catalogue.obsolete``)."""
    return [message for message in catalogue if message.id]


def singular(message):
    return message.id[0] if message.pluralizable else message.id


def translations(message):
    """The msgstr, or msgstr[0] and msgstr[1] of a plural."""
    return message.string if message.pluralizable else (message.string,)


def key(message):
    """What identifies a message: its msgctxt and its msgid (with the plural's)."""
    return (message.context, message.id)


# ---------------------------------------------------------------------------
# The catalogues: complete, well-formed, compiled
# ---------------------------------------------------------------------------


def test_the_package_ships_a_german_catalogue_and_its_javascript_has_no_text():
    assert catalogue(PACKAGE_DIR).exists()
    assert catalogue(PACKAGE_DIR).with_suffix(".mo").exists()
    # No djangojs catalogue: cards.js shows no text of its own (the card is rendered by the server).
    # test_makemessages_finds_no_new_strings fails once it does, asking for one.
    assert not catalogue(PACKAGE_DIR, "djangojs").exists()


@pytest.mark.parametrize("path", CATALOGUES)
def test_every_msgid_is_translated_and_none_is_fuzzy(path):
    catalogue = read_catalogue(path)
    assert not catalogue.fuzzy, "the header must not be fuzzy (msgfmt would drop it)"
    assert catalogue.locale_identifier == "de", "the header needs Language: de"
    assert catalogue.plural_forms == "nplurals=2; plural=(n != 1);"
    # babel falls back to the locale's rule when the header has none; msgfmt and Django read the header's.
    header = Path(path).read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header, "the header needs its Plural-Forms line"
    messages = messages_of(catalogue)
    assert messages
    untranslated = [key(message) for message in messages if not all(translations(message))]
    fuzzy = [key(message) for message in messages if message.fuzzy]
    obsolete = list(catalogue.obsolete)
    assert not untranslated, f"untranslated in {path.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path.name} (check them and remove the flag): {fuzzy}"
    assert not obsolete, f"obsolete entries in {path.name}: {obsolete}"
    # German has two plural forms: read_catalogue refuses a msgstr[2], and a missing msgstr[1] is untranslated.
    assert all(len(message.string) == 2 for message in messages if message.pluralizable)


PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]|\{\w*\}|<[^>]+>")


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("path", CATALOGUES)
def test_translations_keep_the_placeholders_and_markup(path):
    wrong = []
    for message in messages_of(read_catalogue(path)):
        if not message.pluralizable:
            if placeholders(message.string) != placeholders(message.id):
                wrong.append(key(message))
            continue
        # The singular may leave the number out ("Die erste Änderung ..."), not add names.
        if not set(placeholders(message.string[0])) <= set(placeholders(message.id[0])):
            wrong.append(key(message))
        if placeholders(message.string[1]) != placeholders(message.id[1]):
            wrong.append(key(message))
    assert not wrong, f"placeholders or tags differ from the msgid: {wrong}"


def expected_catalog(catalogue):
    """What Python's gettext reads from a .mo compiled from this catalogue (GNUTranslations._catalog)."""
    catalog = {}
    for message in messages_of(catalogue):
        msgid = singular(message) if message.context is None else f"{message.context}\x04{singular(message)}"
        if message.pluralizable:
            catalog.update({(msgid, index): text for index, text in enumerate(message.string)})
        else:
            catalog[msgid] = message.string
    return catalog


@pytest.mark.parametrize("path", CATALOGUES)
def test_the_compiled_catalogue_is_up_to_date(path):
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(harness.REPO_ROOT)} is missing: {UPDATE_HINT}"
    with mo.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    found = {key: text for key, text in compiled._catalog.items() if key != ""}
    stale = f"{mo.relative_to(harness.REPO_ROOT)} is older than its .po: {UPDATE_HINT}"
    assert found == expected_catalog(read_catalogue(path)), stale
    assert compiled.info()["language"] == "de"
    assert compiled.info()["plural-forms"] == "nplurals=2; plural=(n != 1);"
    assert compiled.plural(1) == 0 and compiled.plural(2) == 1


# The names xgettext extracts from Python (its defaults and those makemessages adds).
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


@pytest.mark.parametrize("root", [PACKAGE_DIR, EXAMPLE_DIR], ids=["package", "example site"])
def test_translation_functions_go_by_names_that_makemessages_extracts(root):
    """``gettext_lazy as _lazy`` compiles, translates nothing and is never extracted: forbid such names."""
    hidden = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    name = alias.asname or alias.name
                    if "gettext" in alias.name and name not in EXTRACTED_NAMES:
                        hidden.append(f"{path.relative_to(harness.REPO_ROOT)}: {alias.name} as {name}")
    assert not hidden, f"makemessages does not extract calls of {hidden}"


# ---------------------------------------------------------------------------
# makemessages would add nothing
# ---------------------------------------------------------------------------


def copy_sources(root, target, ignored):
    """The files makemessages reads, and the committed catalogues it merges into."""

    def ignore(directory, names):
        skipped = {"__pycache__", *ignored} if Path(directory) == root else {"__pycache__"}
        return [name for name in names if name in skipped or name.endswith((".mo", ".pyc"))]

    shutil.copytree(root, target, ignore=ignore)


def keys_of(path):
    return {key(message) for message in messages_of(read_catalogue(path))} if path.exists() else set()


@pytest.mark.parametrize("name", CATALOGUE_ROOTS)
@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_makemessages_finds_no_new_strings(name, domain, tmp_path):
    missing = harness.missing_gettext_tool("xgettext", "msgmerge", "msguniq", "msgattrib")
    if missing:
        pytest.skip(missing)
    root, ignored = CATALOGUE_ROOTS[name]
    copy = tmp_path / root.name
    copy_sources(root, copy, ignored)
    (copy / "locale").mkdir(exist_ok=True)
    command = [sys.executable, "-m", "django", "makemessages", "--domain", domain, *MAKEMESSAGES_OPTIONS]
    for pattern in ignored:
        command += ["--ignore", pattern]
    # Without DJANGO_SETTINGS_MODULE: makemessages needs no project, and the copy is none.
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(command, cwd=copy, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    committed, regenerated = keys_of(catalogue(root, domain)), keys_of(catalogue(copy, domain))
    added = sorted(regenerated - committed, key=str)
    gone = sorted(committed - regenerated, key=str)
    where = catalogue(root, domain).relative_to(harness.REPO_ROOT)
    assert not added, f"strings without a German translation ({where}): {added}; {UPDATE_HINT}"
    assert not gone, f"{where} has entries the code no longer uses: {gone}; {UPDATE_HINT}"


# ---------------------------------------------------------------------------
# The pages in German
# ---------------------------------------------------------------------------

# The English texts of the issue, and more of the package's own, that a German page must not show.
ENGLISH = [
    "Customer Information",
    "Customer User Information",
    "Escalations",
    "Reminders",
    "Open Tickets",
    "Customer Users",
    "Add Customer User",
    "Set invalid",
    "Show address on a map",
    "No reminders due.",
    "No escalated tickets.",
    "Create Ticket",
    "Columns are matched ignoring case",
    "Default country",
    "Never synced.",
    "Sync now",
    "Test connection",
    "All sync runs",
    "Last sync",
    "invalid-temporarily",
]


def page_text(response):
    return text(document(response))


def english_msgids():
    """The package's English phrases (two words or more, no placeholders) whose German differs."""
    phrases = set()
    for message in messages_of(read_catalogue(catalogue(PACKAGE_DIR))):
        if not message.pluralizable and " " in message.id.strip() and message.string != message.id:
            if not PLACEHOLDER.search(message.id) and "%" not in message.id:
                phrases.add(message.id)
    return phrases


def assert_german(response, *german):
    assert response.status_code == 200
    text = page_text(response)
    shown = [phrase for phrase in ENGLISH if phrase in text]
    shown += sorted(phrase for phrase in english_msgids() if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text))
    assert not shown, f"English on a German page: {shown}"
    missing = [phrase for phrase in german if phrase not in text]
    assert not missing, f"not on the page: {missing}"
    return text


@pytest.fixture
def german(client, admin_user):
    """An admin whose browser asks for German (the language cookie, as the language menu sets it)."""
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


@pytest.fixture
def acme_with_work(db):
    acme = make_customer(**ACME_ADDRESS)
    jane = make_customer_user(acme)
    make_ticket(acme, customer_user=jane, title="Drucker brennt", state=TicketState.OPEN)
    return acme, jane


def test_the_browser_language_picks_german(client, admin_user, acme_with_work):
    client.force_login(admin_user)
    url = reverse("admin:otrs_customer_admin_customer_detail", args=[acme_with_work[0].pk])
    assert "Kundeninformation" in page_text(client.get(url, headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"}))
    assert "Customer Information" in page_text(client.get(url, headers={"accept-language": "en-US"}))


def test_the_customer_list_in_german(german, acme_with_work):
    response = german.get(reverse("admin:otrs_customer_admin_customer_changelist"))
    assert_german(response, "Kundennummer", "Offene Tickets", "Geschlossene Tickets", "Gültigkeit", "Datenquelle")


def test_the_customer_detail_view_in_german(german, acme_with_work):
    acme, _ = acme_with_work
    response = german.get(reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk]))
    text = assert_german(
        response,
        "Kundeninformation",
        "Eskalationen",
        "Keine eskalierten Tickets.",
        "Erinnerungen",
        "Keine Erinnerungen fällig.",
        "Offene Tickets",
        "Kundenbenutzer",
        "Kundenbenutzer hinzufügen",
        "Ungültig setzen",
        "Adresse auf einer Karte anzeigen",
        "Drucker brennt",
        "offen",
        "gültig",
    )
    # A duration: the ticket's age, through timesince.
    assert re.search(r"\b0 Minuten\b", text)


def test_the_customer_change_form_and_its_invalidate_page_in_german(german, acme_with_work):
    acme, _ = acme_with_work
    response = german.get(reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]))
    assert_german(response, "Kundennummer", "Der vollständige Name des Kunden.", "ungültig-temporär", "Sonstiges")
    response = german.get(reverse("admin:otrs_customer_admin_customer_invalidate", args=[acme.pk]))
    assert_german(response, "ungültig setzen?", "Ja, ungültig setzen", "Abbrechen")


def test_the_cards_in_german(german, acme_with_work):
    acme, jane = acme_with_work
    response = german.get(reverse("admin:otrs_customer_admin_customer_card", args=[acme.pk]))
    assert_german(response, "Adresse", "Land", "Deutschland", "Datenquelle", "1 offen, 0 geschlossen")
    response = german.get(reverse("admin:otrs_customer_admin_customeruser_card", args=[jane.pk]))
    assert_german(response, "Kunde", "1 offen, 0 geschlossen")


def test_the_customer_user_pages_in_german(german, acme_with_work):
    _, jane = acme_with_work
    response = german.get(reverse("admin:otrs_customer_admin_customeruser_changelist"))
    assert_german(response, "Login", "E-Mail", "Kunde", "Gültigkeit")
    response = german.get(reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk]))
    assert_german(response, "Kundenbenutzer-Information", "Offene Tickets", "Ticket erstellen", "Ticketliste")
    response = german.get(reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk]))
    assert_german(response, "Vorname", "Nachname", "Kontakt", "Telefon", "Mobil")


def test_the_ticket_detail_view_in_german(german, acme_with_work):
    ticket = acme_with_work[0].tickets.get()
    response = german.get(reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]))
    assert_german(response, "Drucker brennt", "Statustyp", "Erstellt", "Kein SLA: dieses Ticket eskaliert nicht.")


def test_merging_in_german(german, acme_with_work):
    acme, _ = acme_with_work
    twin = make_customer("ACME-2", "ACME GmbH", **ACME_ADDRESS)
    response = german.get(reverse("admin:otrs_customer_admin_customer_merge", args=[twin.pk]))
    assert_german(response, "mit einem anderen Kunden zusammenführen", "Mögliche Dubletten dieses Kunden")
    response = german.get(reverse("admin:otrs_customer_admin_customer_merge", args=[twin.pk]), {"into": acme.pk})
    assert_german(response, "zusammenführen?", "Ja, zusammenführen", "wird ungültig gesetzt, nie gelöscht")


def test_people_of_several_customers_in_german(german, acme_with_work):
    _acme, jane = acme_with_work
    globex = make_customer("GLOBEX", "Globex Corporation")
    jane.additional_customers.add(globex)
    response = german.get(reverse("admin:otrs_customer_admin_customer_detail", args=[globex.pk]))
    assert_german(response, "arbeitet auch für", "(eigener Kunde: ACME)")
    response = german.get(reverse("admin:otrs_customer_admin_customer_change", args=[globex.pk]))
    assert_german(response, "Kundenbenutzer, die auch hier arbeiten")


def test_unfolds_own_words_are_still_unfolds_and_read_german(german, acme_with_work):
    import unfold

    from otrs_customer_admin.admin.unfold_words import UNFOLD_WORDS

    root = Path(unfold.__file__).parent
    sources = "".join(path.read_text(encoding="utf-8") for path in [*root.rglob("*.html"), *root.rglob("*.py")])
    gone = [word for word in UNFOLD_WORDS if f'"{word}"' not in sources and f"'{word}'" not in sources]
    assert not gone, f"unfold no longer uses {gone}: take them out of admin/unfold_words.py"
    response = german.get(reverse("admin:otrs_customer_admin_customer_changelist"))
    assert_german(response, "Alle Anwendungen")
    assert "All applications" not in page_text(response)
    response = german.get(reverse("admin:otrs_customer_admin_customeruser_changelist"))  # its filters submit
    assert_german(response, "Filter anwenden")
    assert "Apply Filters" not in page_text(response)


def test_the_import_page_and_its_messages_in_german(german, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:otrs_customer_admin_customer_import")
    assert_german(german.get(url), "Spalten werden ohne Beachtung der Groß-/Kleinschreibung", "Standard-Land")

    data = b"CustomerID,CustomerCompanyName,CustomerCompanyCountry,Valid\nACME,Acme,Narnia,valid\n"
    upload = {"format": "0", "import_file": SimpleUploadedFile("customers.csv", data), "default_country": ""}
    response = german.post(url, upload)
    assert elements(document(response), **{"aria-label": "Import-Vorschau"})
    assert_german(
        response,
        "Die Datei wurde abgelehnt: 1 Problem.",
        "Zeile 2",
        "Unbekanntes Land 'Narnia'",
    )


@pytest.mark.ldap
def test_the_sync_status_and_messages_in_german(german, make_directory):
    directory = make_directory()
    sources = {"database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}}
    sources["directory"] = directory.source()
    changelist = reverse("admin:otrs_customer_admin_customer_changelist")
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        assert_german(
            german.get(changelist),
            "Noch nie synchronisiert.",
            "Jetzt synchronisieren",
            "Verbindung testen",
            "Alle Synchronisationsläufe",
        )
        response = german.post(reverse("admin:otrs_customer_admin_customer_sync", args=["directory"]), follow=True)
        text = assert_german(response, "Company directory synchronisiert. Kunden: 4 angelegt")
        run = SyncRun.objects.get()
        with translation.override("de"):
            started = formats.date_format(timezone.localtime(run.started_at), "DATETIME_FORMAT")
        # The date in German: "2. Dezember 2026 14:05", say.
        assert f"Letzte Synchronisation am {started}: erfolgreich." in text
        assert "Kundenbenutzer: 4 angelegt, 1 übersprungen" in text

        response = german.post(reverse("admin:otrs_customer_admin_customer_sync_test", args=["directory"]))
        assert_german(response, "Verbindung", "Verbinden", "Anmelden (Bind)", "Seitenweise Ergebnisse unterstützt")
        response = german.get(reverse("admin:otrs_customer_admin_syncrun_changelist"))
        assert_german(response, "Synchronisationsläufe", "Datenquelle", "Ergebnis", "erfolgreich")


def test_dates_and_numbers_follow_the_language(db):
    when = timezone.make_aware(timezone.datetime(2026, 3, 14, 15, 9))
    with translation.override("de"):
        assert formats.date_format(when, "DATE_FORMAT") == "14. März 2026"
        assert formats.number_format(12345.5, 1, force_grouping=True) == "12.345,5"
    with translation.override("en"):
        assert formats.date_format(when, "DATE_FORMAT") == "March 14, 2026"
        assert formats.number_format(12345.5, 1, force_grouping=True) == "12,345.5"


# ---------------------------------------------------------------------------
# System checks and command output in German
# ---------------------------------------------------------------------------


def test_system_check_messages_and_hints_in_german():
    config = {"REMINDER_WINDOWS": timedelta(hours=1), "WIDGET_ROWS": 0, "CUSTOMER_WIDGETS": ["escalation"]}
    with override_settings(OTRS_CUSTOMER_ADMIN=config), translation.override("de"):
        found = {error.id: error for error in checks.run_checks(tags=[checks.Tags.compatibility])}
    assert found["otrs_customer_admin.E004"].msg == (
        "OTRS_CUSTOMER_ADMIN enthält die unbekannte Einstellung 'REMINDER_WINDOWS'."
    )
    assert found["otrs_customer_admin.E004"].hint == "Meinten Sie 'REMINDER_WINDOW'?"
    assert found["otrs_customer_admin.E017"].msg == (
        "OTRS_CUSTOMER_ADMIN['WIDGET_ROWS'] muss eine ganze Zahl von mindestens 1 sein."
    )
    assert found["otrs_customer_admin.E015"].hint == "Meinten Sie 'escalations'?"


def test_ldap_option_checks_in_german():
    pytest.importorskip("django_auth_ldap", reason=harness.PYTHON_LDAP_HINT)
    source = {"BACKEND": "otrs_customer_admin.datasources.ldap.LDAPSource", "SERVER_URI": "ldap://x", "PAGES": 1}
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"directory": source}}), translation.override("de"):
        messages = [error.msg for error in checks.run_checks(tags=[checks.Tags.compatibility])]
    assert "OTRS_CUSTOMER_ADMIN['DATA_SOURCES']['directory'] enthält die unbekannte Option 'PAGES'." in messages
    assert (
        "OTRS_CUSTOMER_ADMIN['DATA_SOURCES']['directory'] hat weder CUSTOMER_SEARCH noch CUSTOMER_USER_SEARCH."
        in messages
    )


def test_command_output_and_help_in_german(db, tmp_path):
    source = tmp_path / "kunden.csv"
    source.write_text("CustomerID,CustomerCompanyName,CustomerCompanyCountry\nACME,Acme,DE\nGLOBEX,Globex,AT\n")
    out, err = io.StringIO(), io.StringIO()
    with translation.override("de"):
        call_command("import_customers", str(source), "--dry-run", stdout=out, stderr=err)
        assert out.getvalue().startswith("2 angelegt, 0 aktualisiert, 0 unverändert (2 Zeilen in ")
        assert "Probelauf: Es wurde nichts geschrieben." in out.getvalue()
        assert "Prüfen: 2/2 Zeilen, " in err.getvalue()

        make_customer()
        target = tmp_path / "export.csv"
        err = io.StringIO()
        call_command("export_customers", str(target), stdout=io.StringIO(), stderr=err)
        assert err.getvalue() == f"1 Datensatz nach {target} geschrieben.\n"

        parser = load_command_class("otrs_customer_admin", "sync_data_sources").create_parser(
            "manage.py", "sync_data_sources"
        )
        help_text = " ".join(parser.format_help().split())
        assert "Die Datensätze der Verzeichnis-Datenquellen (LDAP, Active Directory) auf den neuesten" in help_text
        assert "Nur die Datenquelle mit diesem Schlüssel synchronisieren (Standard: alle)." in help_text


def test_demo_superuser_output_in_german(db, example_site):
    out = io.StringIO()
    with translation.override("de"):
        call_command("demo_superuser", stdout=out)
    assert "Superuser admin angelegt." in out.getvalue()
    assert "Demo-Anmeldung: admin / admin unter " in out.getvalue()


# --- the words people see: unfold's Filters, relative times, one date format ---------------------------


def test_unfolds_filters_button_reads_german(german, client, admin_user, acme_with_work):
    url = reverse("admin:otrs_customer_admin_customer_changelist")
    response = german.get(url)
    button = element(document(response), "a", class_="filter-open-button")
    assert text(button).split()[0] == "Filter"
    assert_german(response, "Auswählen")  # unfold's shortcut help: "Select"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    english = client.get(url)
    assert text(element(document(english), "a", class_="filter-open-button")).split()[0] == "Filters"


@pytest.mark.parametrize(
    ("language", "ago", "ahead", "overdue"),
    [
        ("en", "(2 days ago)", "(in 2 days)", "overdue by 2 days"),
        ("de", "(vor 2 Tagen)", "(in 2 Tagen)", "überfällig seit 2 Tagen"),
    ],
)
def test_relative_times_read_right_after_their_preposition(language, ago, ahead, overdue):
    from django.template.loader import render_to_string

    from otrs_customer_admin.durations import span_since

    now = timezone.now()
    with translation.override(language):
        past = render_to_string("otrs_customer_admin/time.html", {"value": now - timedelta(days=2), "now": now})
        future = render_to_string("otrs_customer_admin/time.html", {"value": now + timedelta(days=2), "now": now})
        late = translation.gettext("overdue by %(time)s") % {"time": span_since(now - timedelta(days=2), now)}
    assert ago in past.replace("\xa0", " ")
    assert ahead in future.replace("\xa0", " ")
    assert late.replace("\xa0", " ") == overdue


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_ticket_list_shows_every_moment_in_one_format(admin_client, acme_with_work, language):
    acme, jane = acme_with_work
    acme.tickets.all().delete()
    ticket = make_ticket(acme, customer_user=jane, state=TicketState.PENDING_REMINDER)
    ticket.pending_until = ticket.created_at + timedelta(days=3)
    ticket.save(update_fields=["pending_until"])
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_ticket_changelist")))

    shown = [text(moment) for moment in elements(element(page, "tr", class_="data-row"), "time")]
    with translation.override(language):
        expected = [
            formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
            for value in (ticket.pending_until, ticket.created_at)
        ]
    assert shown == expected
