"""The other tables the demo data draws from: comments, ticket titles, SLAs and weights."""

from ..models import Priority, TicketState, Validity

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
    ("Bronze", 480, 1440, 10080, "Office hours: response within a working day, solution within 168 working hours"),
)

# The demo's working-hours calendar, and the SLAs that count in it (the others around the clock).
DEMO_CALENDAR = {
    "name": "Office hours",
    "time_zone": "Europe/Berlin",
    "working_hours": {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["12-25", "12-26", "01-01"],
    "public_holidays_country": "DE",
    "comment": "Monday to Friday 8:00 to 17:00, German public holidays",
}
SLA_CALENDARS = {"Bronze": "Office hours"}

# Out of 100 customers: Gold, Silver, Bronze, or no SLA at all.
SLA_TIER_LIMITS = ((15, 0), (45, 1), (70, 2))

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
STATE_ORDER = (
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
FORCED_CUSTOMER_VALIDITY = {0: Validity.VALID, 3: Validity.INVALID, 5: Validity.INVALID_TEMPORARILY}
FORCED_CUSTOMER_USER_VALIDITY = {0: Validity.VALID, 4: Validity.INVALID, 9: Validity.INVALID_TEMPORARILY}
