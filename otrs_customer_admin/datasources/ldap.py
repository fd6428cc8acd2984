"""LDAP and Active Directory: read-only customers and customer users, mirrored by a sync.

The source reads the directory with paged searches (RFC 2696) and hands the entries,
mapped to our fields, to the sync (``directory_sync``), which writes them. It never
writes to the directory. Searches are django-auth-ldap's ``LDAPSearch`` or
``LDAPSearchUnion`` objects, used as configuration only: django-auth-ldap's own
``execute()`` is unpaged and turns errors into empty results, which a sync must not do.
"""

import time
import uuid

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    DYNAMIC_FIELD_PREFIX,
    TEST_SAMPLE,
    Check,
    ConnectionReport,
    DataSource,
    DirectoryEntry,
    DirectoryRead,
    SearchSample,
    SyncError,
    is_dynamic_field_key,
    shown_values,
)

# Our field -> LDAP attribute, for entries of the standard object classes
# (organization for customers, inetOrgPerson for customer users).
DEFAULT_CUSTOMER_ATTR_MAP = {
    "customer_id": "o",
    "name": "description",
    "street": "street",
    "zip": "postalCode",
    "city": "l",
    "country": "c",
    "url": "labeledURI",
}
DEFAULT_CUSTOMER_USER_ATTR_MAP = {
    "login": "uid",
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
    "phone": "telephoneNumber",
    "fax": "facsimileTelephoneNumber",
    "mobile": "mobile",
    "street": "street",
    "zip": "postalCode",
    "city": "l",
    # The CustomerID of the person's customer; without it, the customer entry the
    # person sits under.
    "customer": "o",
}
# Keys a site may leave out: they come from its django-auth-ldap settings (AUTH_LDAP_*).
CONNECTION_KEYS = ("SERVER_URI", "BIND_DN", "BIND_PASSWORD", "START_TLS", "CONNECTION_OPTIONS")
OPTION_DEFAULTS = {
    "LABEL": "",
    "SERVER_URI": "ldap://localhost",
    "BIND_DN": "",
    "BIND_PASSWORD": "",
    "START_TLS": False,
    "CONNECTION_OPTIONS": {},
    "PAGE_SIZE": 500,
    "TIMEOUT": 30,
    "DEFAULT_COUNTRY": "",
    "DEFAULT_CUSTOMER": "",
    "UUID_ATTRIBUTE": "entryUUID",
    "CUSTOMER_SEARCH": None,
    "CUSTOMER_ATTR_MAP": {},
    "CUSTOMER_USER_SEARCH": None,
    "CUSTOMER_USER_ATTR_MAP": {},
}
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
MAX_DN_LENGTH = 1000  # the lengths of the records' external_dn and external_id
MAX_ID_LENGTH = 255
# Active Directory's userAccountControl: bit 2 is ACCOUNTDISABLE.
AD_ACCOUNT_DISABLED = 0x2
# Test connection answers within this many seconds, whatever TIMEOUT says.
TEST_BUDGET = 9
TEST_STEP = 2


def normalized_dn(dn):
    """A DN as a comparable tuple of RDNs: attribute types and values lower-cased, escapes resolved."""
    import ldap.dn

    try:
        parsed = ldap.dn.str2dn(dn)
    except ldap.DECODING_ERROR:
        return ((("", dn.casefold()),),)
    return tuple(tuple(sorted((name.lower(), value.lower()) for name, value, _flags in rdn)) for rdn in parsed)


def searches_of(search):
    """The plain ``LDAPSearch`` objects of an ``LDAPSearch`` or ``LDAPSearchUnion``."""
    return list(getattr(search, "searches", None) or [search])


def guid_text(raw):
    """An Active Directory objectGUID (16 bytes, little-endian fields) as its canonical text."""
    return str(uuid.UUID(bytes_le=raw))


class LDAPSource(DataSource):
    """A read-only directory (OpenLDAP, Active Directory, …) of customers and customer users."""

    read_only = True
    can_sync = True
    required_modules = ("ldap", "django_auth_ldap")
    install_hint = "apt-get install libldap2-dev libsasl2-dev && pip install 'otrs-customer-admin[ldap]'"
    default_label = gettext_lazy("LDAP directory")

    # --- configuration ---------------------------------------------------------

    def option(self, key):
        """A source option; connection keys left out come from the site's ``AUTH_LDAP_*`` settings."""
        if key in self.options:
            return self.options[key]
        if key in CONNECTION_KEYS and hasattr(django_settings, f"AUTH_LDAP_{key}"):
            return getattr(django_settings, f"AUTH_LDAP_{key}")
        return OPTION_DEFAULTS[key]

    @property
    def timeout(self):
        return self.option("TIMEOUT")

    def attr_map(self, model_key):
        """Our field -> LDAP attribute for ``"customer"`` or ``"customer_user"``; the defaults fill gaps."""
        if model_key == "customer":
            defaults, given = DEFAULT_CUSTOMER_ATTR_MAP, self.option("CUSTOMER_ATTR_MAP")
        else:
            defaults, given = DEFAULT_CUSTOMER_USER_ATTR_MAP, self.option("CUSTOMER_USER_ATTR_MAP")
        merged = {**defaults, **(given or {})}
        return {name: attribute for name, attribute in merged.items() if attribute}

    def normalized_dn(self, dn):
        return normalized_dn(dn)

    def search(self, model_key):
        return self.option("CUSTOMER_SEARCH" if model_key == "customer" else "CUSTOMER_USER_SEARCH")

    def searched_models(self):
        return [key for key in ("customer", "customer_user") if self.search(key) is not None]

    @classmethod
    def check_options(cls, where, options, fields):
        """System-check problems of one source's options: ``(id number, message, hint)`` triples."""
        return check_options(where, options, fields)

    # --- connection --------------------------------------------------------------

    def connect(self, timeout=None):
        """A bound python-ldap connection; raises ``SyncError`` naming what failed."""
        import ldap

        timeout = timeout or self.timeout
        uri = self.option("SERVER_URI")
        try:
            connection = ldap.initialize(uri)
        except ldap.LDAPError as error:
            raise SyncError(self.failure(_("connect"), uri, error)) from error
        connection.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        # libldap would chase referrals anonymously; Active Directory needs this off.
        connection.set_option(ldap.OPT_REFERRALS, 0)
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
        connection.set_option(ldap.OPT_TIMEOUT, timeout)
        connection.timeout = timeout
        options = dict(self.option("CONNECTION_OPTIONS") or {})
        try:
            for name, value in options.items():
                connection.set_option(name, value)
            if set(options) & tls_option_numbers() and ldap.OPT_X_TLS_NEWCTX not in options:
                connection.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # TLS options take effect in a new context
        except (ldap.LDAPError, ValueError, TypeError) as error:
            raise SyncError(self.failure(_("CONNECTION_OPTIONS"), uri, error)) from error
        if self.option("START_TLS"):
            try:
                connection.start_tls_s()
            except ldap.LDAPError as error:
                raise SyncError(self.failure(_("StartTLS"), uri, error)) from error
        try:
            connection.simple_bind_s(self.option("BIND_DN"), self.option("BIND_PASSWORD"))
        except ldap.LDAPError as error:
            raise SyncError(self.failure(_("bind"), uri, error)) from error
        return connection

    def failure(self, phase, where, error):
        return _("%(source)s: %(phase)s failed at %(where)s: %(error)s") % {
            "source": self.label,
            "phase": phase,
            "where": where,
            "error": describe_ldap_error(error),
        }

    def paged_search(self, connection, search, attrlist, *, deadline=None):
        """Yield ``(dn, attributes)`` of every entry of ``search``, page by page.

        Any error, a page cut by a size, time or admin limit, or a time-out is a
        ``SyncError``: the sync must never mistake a partial read for the directory.
        Search references (referrals) name data on other servers and are left out.
        """
        import ldap
        from ldap.controls import SimplePagedResultsControl

        for plain in searches_of(search):
            control = SimplePagedResultsControl(True, size=self.option("PAGE_SIZE"), cookie="")
            page, seen = 0, 0
            while True:
                page += 1
                where = _("page %(page)d of the search under %(base)s, after %(count)d entries") % {
                    "page": page,
                    "base": plain.base_dn,
                    "count": seen,
                }
                timeout = self.timeout if deadline is None else max(0.1, min(self.timeout, deadline - time.monotonic()))
                try:
                    msgid = connection.search_ext(
                        plain.base_dn, plain.scope, plain.filterstr, attrlist, serverctrls=[control]
                    )
                    _type, entries, _msgid, controls = connection.result3(msgid, timeout=timeout)
                except ldap.LDAPError as error:
                    raise SyncError(self.failure(_("search"), where, error)) from error
                for dn, attributes in entries:
                    if dn is not None:
                        seen += 1
                        yield dn, attributes
                cookies = [c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType]
                if not cookies or not cookies[0]:
                    break
                control.cookie = cookies[0]

    def attribute_list(self, model_key):
        attributes = {self.option("UUID_ATTRIBUTE"), *self.attr_map(model_key).values()}
        return sorted(attributes, key=str.lower)

    # --- reading -------------------------------------------------------------------

    def read(self, progress=None):
        """Every customer and customer-user entry, mapped to our fields (``DirectoryRead``)."""
        progress = progress or (lambda phase, done, total: None)
        connection = self.connect()
        read = DirectoryRead()
        try:
            for model_key in self.searched_models():
                search = self.search(model_key)
                attrlist = self.attribute_list(model_key)
                entries = read.customers if model_key == "customer" else read.customer_users
                phase = "customers" if model_key == "customer" else "customer users"
                seen = set()  # an LDAPSearchUnion may find an entry twice
                for dn, attributes in self.paged_search(connection, search, attrlist):
                    if (normalized := normalized_dn(dn)) not in seen:
                        seen.add(normalized)
                        entries.append(self.entry(model_key, dn, attributes, normalized))
                    if len(entries) % 500 == 0:
                        progress(phase, len(entries), None)
                progress(phase, len(entries), len(entries))
        finally:
            close(connection)
        return read

    def entry(self, model_key, dn, attributes, normalized=None):
        """One directory entry as a ``DirectoryEntry``: our fields as text, its identity and problems."""
        values_of = {name.lower(): values for name, values in attributes.items()}
        entry = DirectoryEntry(dn=dn, normalized_dn=normalized or normalized_dn(dn))
        if len(dn) > MAX_DN_LENGTH:
            entry.problems.append(_("its DN is longer than %(limit)d characters") % {"limit": MAX_DN_LENGTH})
        uuid_attribute = self.option("UUID_ATTRIBUTE")
        raw_ids = values_of.get(uuid_attribute.lower())
        if not raw_ids:
            entry.problems.append(_("it has no %(attribute)s attribute") % {"attribute": uuid_attribute})
        else:
            raw = raw_ids[0]
            entry.external_id = guid_text(raw) if len(raw) == 16 and uuid_attribute.lower() == "objectguid" else ""
            if not entry.external_id:
                entry.external_id = raw.decode("utf-8", "replace").strip().lower()
            if len(entry.external_id) > MAX_ID_LENGTH:
                entry.problems.append(_("its %(attribute)s is too long to be an ID") % {"attribute": uuid_attribute})
        for name, attribute in self.attr_map(model_key).items():
            values = values_of.get(attribute.lower())
            if not values:
                continue
            try:
                texts = [value.decode("utf-8") for value in values]
            except UnicodeDecodeError:
                entry.problems.append(_("its %(attribute)s is not UTF-8 text") % {"attribute": attribute})
                continue
            if is_dynamic_field_key(name):
                # Every value: a multi-valued attribute fills a multiselect (the sync checks the rest).
                entry.dynamic[name] = [text.strip() for text in texts if text.strip()]
            elif name == "valid" and attribute.lower() == "useraccountcontrol":
                if not texts[0].strip().lstrip("-").isdigit():
                    entry.problems.append(_("its userAccountControl is not a number"))
                    continue
                entry.values[name] = "2" if int(texts[0]) & AD_ACCOUNT_DISABLED else "1"
            elif name == "url":
                # labeledURI is "URL label"; the URL comes first.
                entry.values[name] = texts[0].strip().split(" ")[0]
            elif name == "groups":
                # Every value names a group, with :ro or :rw (the sync resolves them).
                entry.values[name] = "; ".join(text.strip() for text in texts if text.strip())
            elif name == "customer":
                # The first value is the person's own customer, any further ones their additional customers.
                entry.values[name] = texts[0].strip()
                entry.additional_customers = [text.strip() for text in texts[1:] if text.strip()]
            elif name == "email" and model_key == "customer_user":
                # A multi-valued mail: the first value is the primary address, the others additional ones.
                entry.values[name] = texts[0].strip()
                entry.additional_emails = [text.strip() for text in texts[1:] if text.strip()]
            else:
                entry.values[name] = texts[0].strip()
        if model_key == "customer_user":
            entry.ancestors = [entry.normalized_dn[i:] for i in range(1, len(entry.normalized_dn))]
        return entry

    # --- Test connection -----------------------------------------------------------------

    def test_connection(self, entry_problems):
        """Connect, TLS, bind, paged results, and what each search finds: a ``ConnectionReport``.

        ``entry_problems(model_key, values, dynamic)`` says why the sync would skip an entry with these values
        (the sync's checks, ``directory_sync.check_connection``). Answers within ``TEST_BUDGET``
        seconds; a count still going then is reported as incomplete.
        """
        import ldap

        deadline = time.monotonic() + TEST_BUDGET
        report = ConnectionReport()
        uri = self.option("SERVER_URI")
        tls = uri.lower().startswith("ldaps://") or self.option("START_TLS")
        try:
            # Connect, StartTLS and bind: each step at most TEST_STEP seconds.
            connection = self.connect(timeout=min(self.timeout, TEST_STEP))
        except SyncError as error:
            report.checks.append(Check(_("Connect and bind"), False, str(error)))
            return report
        report.checks.append(Check(_("Connect"), True, uri))
        if tls:
            report.checks.append(Check(_("TLS"), True, _("LDAPS") if not self.option("START_TLS") else _("StartTLS")))
        report.checks.append(Check(_("Bind"), True, self.option("BIND_DN") or _("anonymous")))
        try:
            try:
                remaining = max(0.1, deadline - time.monotonic())
                root = connection.search_ext_s(
                    "", ldap.SCOPE_BASE, "(objectClass=*)", ["supportedControl"], timeout=remaining
                )
                controls = {value.decode() for _dn, attrs in root for value in attrs.get("supportedControl", [])}
                paged = PAGED_RESULTS_OID in controls
                detail = "" if paged else _("the server does not announce paged results (RFC 2696)")
            except ldap.LDAPError as error:
                paged, detail = False, describe_ldap_error(error)
            report.checks.append(Check(_("Paged results supported"), paged, detail))
            for model_key in self.searched_models():
                report.searches.append(self.sample(connection, model_key, deadline, entry_problems))
        finally:
            close(connection)
        return report

    def sample(self, connection, model_key, deadline, entry_problems):
        label = _("Customers") if model_key == "customer" else _("Customer users")
        result = SearchSample(label=label)
        attr_map = self.attr_map(model_key)
        try:
            for dn, attributes in self.paged_search(
                connection, self.search(model_key), self.attribute_list(model_key), deadline=deadline
            ):
                result.count += 1
                if len(result.entries) < TEST_SAMPLE:
                    entry = self.entry(model_key, dn, attributes)
                    present = {name.lower() for name in attributes}
                    missing = [
                        _("%(field)s: %(attribute)s missing") % {"field": name, "attribute": attribute}
                        for name, attribute in attr_map.items()
                        if attribute.lower() not in present
                    ]
                    problems = entry.problems + entry_problems(model_key, entry.values, entry.dynamic)
                    result.entries.append((dn, shown_values(entry), missing, problems))
                if time.monotonic() > deadline:
                    result.complete = False
                    break
        except SyncError as error:
            result.complete = False
            if time.monotonic() < deadline:
                result.error = str(error)
        return result


def close(connection):
    """Unbind, without letting a failing unbind hide what went wrong before it."""
    import ldap

    try:
        connection.unbind_s()
    except ldap.LDAPError:
        pass


def tls_option_numbers():
    """python-ldap's TLS options (0x6000…; the other OPT_X_TLS_* names are their values)."""
    import ldap

    numbers = {getattr(ldap, name) for name in dir(ldap) if name.startswith("OPT_X_TLS_")}
    return {number for number in numbers if 0x6000 <= number < 0x7000} - {ldap.OPT_X_TLS_NEWCTX}


def describe_ldap_error(error):
    """python-ldap's error dict as one readable line."""
    import ldap

    if isinstance(error, ldap.TIMEOUT):
        return _("timed out")
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    parts = [str(details.get("desc") or type(error).__name__)]
    if details.get("info"):
        parts.append(str(details["info"]))
    return ": ".join(parts)


def dynamic_name_ok(key):
    """Whether ``DynamicField_<Name>`` has a name a dynamic field may have (ASCII letters and digits).
    That a valid definition of that name exists is the sync's to check: definitions are data."""
    name = key[len(DYNAMIC_FIELD_PREFIX) :]
    return bool(name) and name.isascii() and name.isalnum()


def check_options(where, options, fields):
    """The system-check problems of one LDAP source's options, as ``(number, message, hint)``;
    ``fields`` maps ``"customer"`` and ``"customer_user"`` to their ``ModelFields``."""
    from django_auth_ldap.config import LDAPSearch, LDAPSearchUnion

    problems = []
    for key in options:
        if key not in OPTION_DEFAULTS and key != "BACKEND":
            problems.append(
                (
                    25,
                    _("%(setting)s has an unknown option %(key)s.") % {"setting": where, "key": repr(key)},
                    _("Known: %(names)s.") % {"names": ", ".join(OPTION_DEFAULTS)},
                )
            )
    searched = 0
    for key in ("CUSTOMER_SEARCH", "CUSTOMER_USER_SEARCH"):
        search = options.get(key)
        if search is None:
            continue
        searched += 1
        if not isinstance(search, (LDAPSearch, LDAPSearchUnion)):
            problems.append(
                (
                    21,
                    _("%(setting)s is a %(type)s, not an LDAPSearch or LDAPSearchUnion.")
                    % {"setting": f"{where}[{key!r}]", "type": type(search).__name__},
                    _("Use %(example)s.")
                    % {"example": 'django_auth_ldap.config.LDAPSearch("ou=…", ldap.SCOPE_SUBTREE, "(objectClass=…)")'},
                )
            )
        elif any("%(" in plain.filterstr for plain in searches_of(search)):
            problems.append(
                (
                    32,
                    _(
                        "%(setting)s has a filter with a %(placeholder)s placeholder, "
                        "which a sync has nothing to fill in."
                    )
                    % {"setting": f"{where}[{key!r}]", "placeholder": "%(…)s"},
                    _("Search for all entries, e.g. %(filter)s, not for one user.")
                    % {"filter": "(objectClass=inetOrgPerson)"},
                )
            )
    if not searched:
        problems.append(
            (
                27,
                _("%(setting)s has neither CUSTOMER_SEARCH nor CUSTOMER_USER_SEARCH.") % {"setting": where},
                _("Give at least one LDAPSearch."),
            )
        )
    uri = options.get("SERVER_URI") or getattr(django_settings, "AUTH_LDAP_SERVER_URI", "")
    start_tls = options.get("START_TLS", getattr(django_settings, "AUTH_LDAP_START_TLS", False))
    if start_tls and isinstance(uri, str) and uri.lower().startswith("ldaps://"):
        problems.append(
            (
                22,
                _("%(setting)s sets START_TLS on an ldaps:// URI, which is encrypted already.") % {"setting": where},
                _("Use ldap:// with START_TLS, or ldaps:// without it."),
            )
        )
    # Every record needs the fields that identify it (see directory_sync.plan.clean_values).
    for key, model_key in (("CUSTOMER_ATTR_MAP", "customer"), ("CUSTOMER_USER_ATTR_MAP", "customer_user")):
        names, required = fields[model_key].names, fields[model_key].required
        given = options.get(key) or {}
        if not isinstance(given, dict):
            message = _("%(setting)s must be a dict of field -> LDAP attribute.") % {"setting": f"{where}[{key!r}]"}
            problems.append((33, message, None))
            continue
        for name, attribute in given.items():
            dynamic = is_dynamic_field_key(name)
            if (dynamic and not dynamic_name_ok(name)) or (not dynamic and name not in names):
                message = (
                    _("%(setting)s maps %(name)s, which is no dynamic field name (letters and digits only).")
                    if dynamic
                    else _("%(setting)s maps %(name)s, which is not a field.")
                )
                problems.append(
                    (
                        23,
                        message % {"setting": f"{where}[{key!r}]", "name": repr(name)},
                        _("Fields: %(names)s, and DynamicField_<Name> for a dynamic field.")
                        % {"names": ", ".join(names)},
                    )
                )
            elif attribute is not None and not isinstance(attribute, str):
                message = _("%(setting)s must be an attribute name.") % {"setting": f"{where}[{key!r}][{name!r}]"}
                problems.append((34, message, None))
        search_key = key.replace("ATTR_MAP", "SEARCH")
        defaults = DEFAULT_CUSTOMER_ATTR_MAP if key == "CUSTOMER_ATTR_MAP" else DEFAULT_CUSTOMER_USER_ATTR_MAP
        merged = {**defaults, **given}
        missing = [name for name in required if not merged.get(name)]
        if options.get(search_key) is not None and missing:
            problems.append(
                (
                    24,
                    _("%(setting)s maps no attribute to %(fields)s, which every record needs.")
                    % {"setting": f"{where}[{key!r}]", "fields": ", ".join(missing)},
                    _("Map %(fields)s to an LDAP attribute.") % {"fields": ", ".join(missing)},
                )
            )
    for key in ("PAGE_SIZE", "TIMEOUT"):
        value = options.get(key, OPTION_DEFAULTS[key])
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            hint = _("The default is %(default)s.") % {"default": OPTION_DEFAULTS[key]}
            message = _("%(setting)s must be a positive number.") % {"setting": f"{where}[{key!r}]"}
            problems.append((26, message, hint))
    if not str(options.get("UUID_ATTRIBUTE", "entryUUID") or ""):
        problems.append(
            (
                35,
                _("%(setting)s is empty.") % {"setting": f"{where}['UUID_ATTRIBUTE']"},
                _("entryUUID (OpenLDAP) or objectGUID (AD)."),
            )
        )
    return problems
