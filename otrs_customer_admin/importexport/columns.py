"""Which file columns mean which field: our names, the admin's labels, and the
column names of OTRS, Znuny and Zammad exports.

Dynamic fields are columns too: ``DynamicField_<Name>`` (OTRS's and Znuny's name) and
the field's label.

Headers are matched ignoring case and surrounding spaces. Columns listed in
``IGNORED`` are known and skipped (a password is never stored); any other
unknown column is reported as a warning and skipped.
"""

from collections import Counter

from django.utils.text import capfirst

CUSTOMER_ALIASES = {
    "customer_id": ("CustomerID", "customer id", "customer_id"),
    "name": ("CustomerCompanyName", "customer", "name", "organization"),
    "street": ("CustomerCompanyStreet",),
    "zip": ("CustomerCompanyZIP", "postal code", "postcode"),
    "city": ("CustomerCompanyCity",),
    "country": ("CustomerCompanyCountry",),
    "url": ("CustomerCompanyURL", "website"),
    # Zammad's domain is the organization's email domain; it becomes its web address.
    "domain": ("domain",),
    "comment": ("CustomerCompanyComment", "comments", "note"),
    "valid": ("Valid", "ValidID", "validity", "active"),
}

# With CUSTOMER_GROUP_SUPPORT: a customer's group links, "support:rw; billing:ro". OTRS and Znuny
# export none (their UserGroups column is a customer user's, and ignored).
CUSTOMER_GROUP_ALIASES = {"groups": ("groups", "customer groups")}

CUSTOMER_USER_ALIASES = {
    "login": ("UserLogin",),
    "title": ("UserTitle",),
    "first_name": ("UserFirstname", "firstname", "first name"),
    "last_name": ("UserLastname", "lastname", "last name"),
    "email": ("UserEmail", "email"),
    # The customer by CustomerID (OTRS) or, for Zammad, the organization's name.
    "customer": ("UserCustomerID", "CustomerID", "customer_id", "customer"),
    "organization": ("organization",),
    # More customers the person works for: OTRS's UserCustomerIDs (CustomerIDs), Zammad's
    # organizations (names, separated by ~~~).
    "additional_customers": ("UserCustomerIDs", "organizations"),
    # More addresses of the person, besides the primary email (separated as additional customers).
    "additional_emails": ("additional emails", "additional email addresses", "other emails"),
    "phone": ("UserPhone",),
    "fax": ("UserFax",),
    "mobile": ("UserMobile",),
    "street": ("UserStreet",),
    "zip": ("UserZip",),
    "city": ("UserCity",),
    "country": ("UserCountry",),
    "comment": ("UserComment", "comments", "note"),
    "valid": ("Valid", "ValidID", "validity", "active"),
}

# OTRS's SLA attributes (AdminSLA); its Calendar names a calendar here by its name.
SLA_ALIASES = {
    "name": ("Name", "SLA"),
    "first_response_time": ("FirstResponseTime", "first response"),
    "update_time": ("UpdateTime",),
    "solution_time": ("SolutionTime",),
    "calendar": ("Calendar", "CalendarName"),
    "comment": ("Comment", "comments", "note"),
    "valid": ("Valid", "ValidID", "validity", "active"),
}

IGNORED = frozenset(
    name.casefold()
    for name in (
        "UserPassword",
        "password",
        "pw",
        "UserGroups",
        "data source",
        "data_source",
        "created",
        "created_at",
        "changed",
        "changed_at",
        "id",
        "shared",
        "domain_assignment",
        "vip",
        "members",
        "open tickets",
        "closed tickets",
    )
)


def normalise(header):
    return " ".join(str(header).split()).casefold()


def alias_table(model, aliases, dynamic_fields=()):
    """Normalised header -> field, from the field names, the admin labels and ``aliases``, and for
    each of ``dynamic_fields`` (definitions) its ``DynamicField_<Name>`` and its label.

    A label is no alias where a built-in field's name already means something, nor where two
    dynamic fields share it: their ``DynamicField_<Name>`` columns still work."""
    table = {}
    for field, names in aliases.items():
        candidates = [field, *names]
        try:
            label = model._meta.get_field(field).verbose_name
            candidates += [str(label), str(capfirst(label))]
        except Exception:  # pseudo fields (domain, organization) have no model field
            pass
        for name in candidates:
            table.setdefault(normalise(name), field)
    dynamic_fields = list(dynamic_fields)
    for definition in dynamic_fields:
        table[normalise(definition.key)] = definition.key
    labels = Counter(normalise(definition.label) for definition in dynamic_fields)
    for definition in dynamic_fields:
        label = normalise(definition.label)
        if labels[label] == 1:
            table.setdefault(label, definition.key)
    return table


def map_headers(headers, table, mapping=None):
    """``(field_of_column, unknown_headers, duplicates)`` for the file's headers.

    ``field_of_column`` maps column positions to fields; ``duplicates`` lists
    ``(header, field)`` for a second column meaning a field already mapped.
    ``mapping`` (a user's column mapping: header -> field, ``""`` to ignore the column) comes
    before the table; a field it names that the table does not know leaves the column unknown.
    """
    mapped = {normalise(header): field for header, field in (mapping or {}).items()}
    known = set(table.values())
    field_of_column = {}
    unknown = []
    duplicates = []
    seen = set()
    for position, header in enumerate(headers):
        key = normalise(header)
        if key in mapped and mapped[key] == "":
            continue
        field = mapped[key] if key in mapped and mapped[key] in known else table.get(key)
        if field is None:
            if key not in IGNORED:
                unknown.append(header)
            continue
        if field in seen:
            duplicates.append((header, field))
            continue
        seen.add(field)
        field_of_column[position] = field
    return field_of_column, unknown, duplicates
