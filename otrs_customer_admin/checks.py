"""System checks for the ``OTRS_CUSTOMER_ADMIN`` setting and the apps it needs.

Ids are ``otrs_customer_admin.E001``…, one per message (a message may name one of several
settings); each message says what is wrong and each hint what to do about it. The ids are
listed in docs/settings.md.
"""

import difflib
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, router
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .conf import DEFAULTS, SETTING_NAME
from .datasources.base import SOURCE_KEY_PATTERN, DataSource
from .directory_sync import model_fields
from .models import SLA, Calendar, DynamicField, Validity
from .models.calendars import WEEKDAY_LABELS, WEEKDAYS, parse_ranges, validate_time_zone
from .working_time import NoWorkingTime

ID = "otrs_customer_admin"

# The longest name of Django's groups (auth.Group.name).
GROUP_NAME_LENGTH = 150

# The settings that are True or False (E005).
BOOL_SETTINGS = ("ALLOW_DELETE", "SYNC_FAIL_ON_CONFLICT", "SYNC_FAIL_ON_MALFORMED", "CUSTOMER_GROUP_SUPPORT", "HISTORY")


def _error(number, msg, hint):
    return Error(msg, hint=hint, id=f"{ID}.E{number:03d}")


def see_settings_docs():
    return _("See %(page)s.") % {"page": "docs/settings.md"}


@register(Tags.compatibility)
def check_installed_apps(app_configs=None, **kwargs):
    apps = list(django_settings.INSTALLED_APPS)
    errors = []
    required = {
        "unfold": "unfold",
        "import_export": "import_export",
        "django_countries": "django_countries",
        "django.contrib.admin": "django.contrib.admin",
        # The history's old -> new values (otrs_customer_admin.history).
        "auditlog": "auditlog",
    }
    for name, entry in required.items():
        if not any(app == entry or app.startswith(entry + ".apps.") for app in apps):
            errors.append(
                _error(
                    1,
                    _("%(app)s is missing from INSTALLED_APPS.") % {"app": repr(name)},
                    _("Add %(app)s to INSTALLED_APPS (see README).") % {"app": repr(entry)},
                )
            )
    positions = {entry: i for i, app in enumerate(apps) for entry in required if app.split(".apps.")[0] == entry}
    unfold, admin = positions.get("unfold"), positions.get("django.contrib.admin")
    if unfold is not None and admin is not None and unfold > admin:
        errors.append(
            _error(
                2,
                _("'unfold' comes after 'django.contrib.admin' in INSTALLED_APPS, so the admin is not themed."),
                _("Move 'unfold' (and its contrib apps) before 'django.contrib.admin'."),
            )
        )
    return errors


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    config = getattr(django_settings, SETTING_NAME, {})
    if not isinstance(config, dict):
        message = _("%(setting)s must be a dict, not %(type)s.") % {
            "setting": SETTING_NAME,
            "type": type(config).__name__,
        }
        return [_error(3, message, _("Use a dict of settings."))]
    errors = []
    for key in config:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            hint = (
                _("Did you mean %(name)s?") % {"name": repr(close[0])}
                if close
                else _("Known settings: %(names)s.") % {"names": ", ".join(sorted(DEFAULTS))}
            )
            message = _("%(setting)s has an unknown setting %(key)s.") % {"setting": SETTING_NAME, "key": repr(key)}
            errors.append(_error(4, message, hint))
    for key in BOOL_SETTINGS:
        if key in config and not isinstance(config[key], bool):
            message = _("%(setting)s must be True or False.") % {"setting": f"{SETTING_NAME}[{key!r}]"}
            errors.append(_error(5, message, _("Use a bool.")))
    window = config.get("REMINDER_WINDOW", DEFAULTS["REMINDER_WINDOW"])
    if not isinstance(window, timedelta) or window < timedelta(0):
        errors.append(
            _error(
                6,
                _("%(setting)s must be a timedelta of zero or more.")
                % {"setting": f"{SETTING_NAME}['REMINDER_WINDOW']"},
                _("For example %(example)s.") % {"example": "datetime.timedelta(hours=24)"},
            )
        )
    errors += _check_data_sources(config.get("DATA_SOURCES", DEFAULTS["DATA_SOURCES"]))
    errors += _check_widgets(config)
    errors += _check_values(config)
    return errors


def _check_values(config):
    """The plain values: numbers, URL templates, the default country."""
    errors = []
    for key in (
        "WIDGET_ROWS",
        "IMPORT_MAX_UPLOAD_SIZE",
        "IMPORT_MAX_ROWS",
        "IMPORT_MAX_UNPACKED_SIZE",
        "IMPORT_MAX_CELLS",
    ):
        value = config.get(key, DEFAULTS[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            message = _("%(setting)s must be a whole number of at least 1.") % {"setting": f"{SETTING_NAME}[{key!r}]"}
            errors.append(_error(17, message, None))
    map_url = config.get("MAP_URL", DEFAULTS["MAP_URL"])
    if not isinstance(map_url, str) or "{address}" not in map_url:
        errors.append(
            _error(
                18,
                _("%(setting)s must be a URL containing {address}.") % {"setting": f"{SETTING_NAME}['MAP_URL']"},
                see_settings_docs(),
            )
        )
    links = config.get("SOCIAL_LINKS", DEFAULTS["SOCIAL_LINKS"])
    well_formed = isinstance(links, (list, tuple)) and all(
        isinstance(link, (list, tuple)) and len(link) == 2 and "{name}" in str(link[1]) for link in links
    )
    if not well_formed:
        errors.append(
            _error(
                19,
                _("%(setting)s must be a list of (label, URL containing {name}) pairs.")
                % {"setting": f"{SETTING_NAME}['SOCIAL_LINKS']"},
                _("For example %(example)s.")
                % {"example": "[('LinkedIn', 'https://www.linkedin.com/search/results/companies/?keywords={name}')]"},
            )
        )
    errors += _check_sync_values(config)
    always = config.get("CUSTOMER_GROUP_ALWAYS", DEFAULTS["CUSTOMER_GROUP_ALWAYS"])
    if not isinstance(always, (list, tuple)) or not all(
        isinstance(name, str) and 0 < len(name) <= GROUP_NAME_LENGTH for name in always
    ):
        errors.append(
            _error(
                40,
                _("%(setting)s must be a list of group names.")
                % {"setting": f"{SETTING_NAME}['CUSTOMER_GROUP_ALWAYS']"},
                _("For example %(example)s.") % {"example": "['support']"},
            )
        )
    country = config.get("DEFAULT_COUNTRY", DEFAULTS["DEFAULT_COUNTRY"])
    if country:
        from .values import parse_country

        try:
            code = parse_country(country)
        except ValueError as error:
            errors.append(_error(20, f"{SETTING_NAME}['DEFAULT_COUNTRY']: {error}", _("Use an ISO code such as 'DE'.")))
        else:
            if code != country:
                errors.append(
                    _error(
                        29,
                        _("%(setting)s is %(value)s; write its ISO code.")
                        % {"setting": f"{SETTING_NAME}['DEFAULT_COUNTRY']", "value": repr(country)},
                        _("Use %(code)s.") % {"code": repr(code)},
                    )
                )
    return errors


def _check_sync_values(config):
    errors = []
    guard = config.get("SYNC_MASS_INVALIDATION", DEFAULTS["SYNC_MASS_INVALIDATION"])
    if not (
        isinstance(guard, dict)
        and set(guard) == {"PERCENT", "MINIMUM"}
        and all(isinstance(guard[key], (int, float)) and not isinstance(guard[key], bool) for key in guard)
        and 0 <= guard["PERCENT"] <= 100
        and guard["MINIMUM"] >= 0
    ):
        errors.append(
            _error(
                28,
                _("%(setting)s must be {'PERCENT': 0-100, 'MINIMUM': a number >= 0}.")
                % {"setting": f"{SETTING_NAME}['SYNC_MASS_INVALIDATION']"},
                _("The default is %(default)s.") % {"default": "{'PERCENT': 10, 'MINIMUM': 50}"},
            )
        )
    if not isinstance(config.get("SYNC_USER", DEFAULTS["SYNC_USER"]), str) or not config.get("SYNC_USER", "x"):
        message = _("%(setting)s must be a username.") % {"setting": f"{SETTING_NAME}['SYNC_USER']"}
        errors.append(_error(30, message, None))
    for name in ("SYNC_STALE_AFTER", "IMPORT_PREVIEW_TTL"):
        duration = config.get(name, DEFAULTS[name])
        if not isinstance(duration, timedelta) or duration <= timedelta(0):
            errors.append(
                _error(
                    31,
                    _("%(setting)s must be a positive timedelta.") % {"setting": f"{SETTING_NAME}[{name!r}]"},
                    _("For example %(example)s.") % {"example": "timedelta(hours=1)"},
                )
            )
    retention = config.get("ANONYMIZE_INVALID_AFTER", DEFAULTS["ANONYMIZE_INVALID_AFTER"])
    if retention is not None and (not isinstance(retention, timedelta) or retention <= timedelta(0)):
        errors.append(
            _error(
                41,
                _("%(setting)s must be a positive timedelta, or None to keep invalid people as they are.")
                % {"setting": f"{SETTING_NAME}['ANONYMIZE_INVALID_AFTER']"},
                _("For example %(example)s.") % {"example": "timedelta(days=730)"},
            )
        )
    return errors


def _check_widgets(config):
    from .widgets.base import SCREEN_SETTINGS, Widget, registered_widgets

    errors = []
    for path in config.get("WIDGETS", []):
        try:
            widget = import_string(path)
        except ImportError as exc:
            message = _("%(setting)s: %(path)s does not import (%(error)s).") % {
                "setting": f"{SETTING_NAME}['WIDGETS']",
                "path": repr(path),
                "error": exc,
            }
            errors.append(_error(13, message, _("Fix the path.")))
            continue
        if not (isinstance(widget, type) and issubclass(widget, Widget) and widget.key):
            errors.append(
                _error(
                    14,
                    _("%(setting)s: %(path)s is not a Widget subclass with a key.")
                    % {"setting": f"{SETTING_NAME}['WIDGETS']", "path": repr(path)},
                    _("Subclass %(class)s and set key, title and template.")
                    % {"class": "otrs_customer_admin.widgets.Widget"},
                )
            )
    if errors:
        return errors
    widgets = registered_widgets()
    for screen, name in SCREEN_SETTINGS.items():
        for key in config.get(name, DEFAULTS[name]):
            widget = widgets.get(key)
            if widget is None:
                close = difflib.get_close_matches(str(key), widgets, n=1)
                hint = (
                    _("Did you mean %(name)s?") % {"name": repr(close[0])}
                    if close
                    else _("Known widgets: %(names)s.") % {"names": ", ".join(sorted(widgets))}
                )
                message = _("%(setting)s names an unknown widget %(key)s.") % {
                    "setting": f"{SETTING_NAME}[{name!r}]",
                    "key": repr(key),
                }
                errors.append(_error(15, message, hint))
            elif screen not in widget.screens:
                errors.append(
                    _error(
                        16,
                        _("%(setting)s: the widget %(key)s cannot appear on this screen.")
                        % {"setting": f"{SETTING_NAME}[{name!r}]", "key": repr(key)},
                        _("Its screens are %(screens)s; remove it from %(name)s.")
                        % {"screens": ", ".join(widget.screens), "name": name},
                    )
                )
    return errors


def _check_data_sources(sources):
    name = f"{SETTING_NAME}['DATA_SOURCES']"
    if not isinstance(sources, dict) or not sources:
        message = _("%(setting)s must be a non-empty dict of source key -> options.") % {"setting": name}
        return [_error(7, message, see_settings_docs())]
    errors = []
    writable = 0
    for key, options in sources.items():
        where = f"{name}[{key!r}]"
        if not isinstance(key, str) or not SOURCE_KEY_PATTERN.match(key):
            errors.append(
                _error(
                    8,
                    _("%(setting)s: a source key is 1-50 lower-case letters, digits, '_' or '-'.") % {"setting": where},
                    _("Rename it."),
                )
            )
        if not isinstance(options, dict) or not isinstance(options.get("BACKEND"), str):
            errors.append(
                _error(
                    9,
                    _("%(setting)s needs a 'BACKEND' with the dotted path of a DataSource class.") % {"setting": where},
                    _("For example %(example)s.")
                    % {"example": "{'BACKEND': 'otrs_customer_admin.datasources.database.DatabaseSource'}"},
                )
            )
            continue
        try:
            backend = import_string(options["BACKEND"])
        except ImportError as exc:
            errors.append(
                _error(
                    10,
                    _("%(setting)s: BACKEND %(path)s does not import (%(error)s).")
                    % {"setting": where, "path": repr(options["BACKEND"]), "error": exc},
                    _("Fix the dotted path."),
                )
            )
            continue
        if not (isinstance(backend, type) and issubclass(backend, DataSource)):
            errors.append(
                _error(
                    11,
                    _("%(setting)s: BACKEND %(path)s is not a DataSource subclass.")
                    % {"setting": where, "path": repr(options["BACKEND"])},
                    _("Subclass %(class)s.") % {"class": "otrs_customer_admin.datasources.DataSource"},
                )
            )
            continue
        missing = backend.missing_modules()
        if missing:
            errors.append(
                _error(
                    12,
                    _("%(setting)s needs the module(s) %(modules)s, which are not installed.")
                    % {"setting": where, "modules": ", ".join(missing)},
                    backend.install_hint or f"pip install {' '.join(missing)}",
                )
            )
        else:
            errors += [
                _error(number, msg, hint) for number, msg, hint in backend.check_options(where, options, model_fields())
            ]
        writable += not backend.read_only
    if not errors and not writable:
        errors.append(
            Warning(
                _("%(setting)s has no writable source, so nobody can add customers or customer users.")
                % {"setting": name},
                hint=_("That is fine for a directory-only site; otherwise add the database source."),
                id=f"{ID}.W001",
            )
        )
    return errors


@register(Tags.models)
def check_dynamic_fields(app_configs=None, **kwargs):
    """Valid dynamic-field definitions that cannot work (E036 to E039). The admin refuses them; these
    come from fixtures, scripts or SQL. Read from the database, so nothing is reported while it
    cannot be read (before ``migrate``, or with no database at hand, as in an image build)."""
    definitions = read_stored(DynamicField, lambda: list(DynamicField.objects.valid()))
    errors = []
    for definition in definitions or ():
        for name, problem in definition.definition_problems():
            where = _("Dynamic field %(field)s of %(object_type)s: %(problem)s") % {
                "field": definition.key,
                "object_type": definition.get_object_type_display(),
                "problem": problem,
            }
            if name == "choices":
                errors.append(_error(36, where, _("Give its choices (key: label) in the admin, or change its type.")))
            elif name == "link_template":
                errors.append(_error(37, where, _("Write an http or https URL with {value}, or clear the template.")))
            elif name == "default":
                errors.append(_error(38, where, _("Correct the default or clear it.")))
            else:
                errors.append(_error(39, where, _("Switch off its list filter.")))
    return errors


def read_stored(model, read):
    """What ``read()`` reads of ``model``'s table; ``None`` while it cannot be read (before ``migrate``,
    or with no database at hand, as in an image build), so that ``check`` never fails for want of one."""
    try:
        connection = connections[router.db_for_read(model)]
        if model._meta.db_table not in connection.introspection.table_names():
            return None
        return read()
    except DatabaseError:
        return None


@register(Tags.models)
def check_calendars(app_configs=None, **kwargs):
    """Valid calendars that cannot count working time (E042 to E048), and valid SLAs that count in a
    calendar that is not valid (W002). The admin refuses them; these come from bulk updates,
    fixtures, scripts or SQL. Read from the database, as ``check_dynamic_fields``."""
    stored = read_stored(
        Calendar,
        lambda: (
            list(Calendar.objects.filter(valid=Validity.VALID)),
            list(
                SLA.objects.filter(valid=Validity.VALID, calendar__isnull=False)
                .exclude(calendar__valid=Validity.VALID)
                .values_list("name", "calendar__name")
            ),
        ),
    )
    if stored is None:
        return []
    calendars, slas = stored
    errors = [problem for calendar in calendars for problem in _calendar_problems(calendar)]
    for sla, calendar in slas:
        errors.append(
            Warning(
                _("SLA %(sla)s counts its deadlines in the calendar %(calendar)s, which is not valid.")
                % {"sla": sla, "calendar": calendar},
                hint=_("Give the SLA a valid calendar (or none, for around the clock), or make the calendar valid."),
                id=f"{ID}.W002",
            )
        )
    return errors


def _calendar_problems(calendar):
    """The errors of one valid calendar; its working time is tried only when it can be read."""

    def where(problem, weekday=None):
        values = {"calendar": calendar.name, "weekday": weekday, "problem": problem}
        if weekday is None:
            return _("Calendar %(calendar)s: %(problem)s") % values
        return _("Calendar %(calendar)s, %(weekday)s: %(problem)s") % values

    errors = []
    hours = calendar.working_hours if isinstance(calendar.working_hours, dict) else {}
    for day, label in zip(WEEKDAYS, WEEKDAY_LABELS, strict=True):
        try:
            parse_ranges(hours.get(day, ""))
        except ValidationError as error:
            hint = _("Correct its working hours in the admin, such as 08:00-12:00, 13:00-17:00.")
            errors.append(_error(42, where(" ".join(error.messages), label), hint))
    try:
        calendar.parsed_holidays()
    except ValidationError as error:
        hint = _("Correct its holidays in the admin: 12-25 for every year, 2027-04-02 for once.")
        errors.append(_error(43, where(" ".join(error.messages)), hint))
    try:
        validate_time_zone(calendar.time_zone)
    except ValidationError as error:
        errors.append(_error(44, where(" ".join(error.messages)), _("Choose its time zone in the admin.")))
    errors += _public_holiday_problems(calendar, where)
    if errors:
        return errors
    try:
        calendar.hours.add(timezone.now(), timedelta(minutes=1))
    except NoWorkingTime:
        problem = _("it has no working time: no weekday has working hours, or its holidays take every working day.")
        hint = _("Give at least one weekday working hours, or set the calendar invalid.")
        errors.append(_error(48, where(problem), hint))
    return errors


def _public_holiday_problems(calendar, where):
    """E045 to E047: a country (or subdivision) whose public holidays the ``holidays`` package does not know."""
    import holidays

    country = str(calendar.public_holidays_country or "")
    subdivision = calendar.public_holidays_subdivision
    hint = _("Choose a country and subdivision the holidays package knows, or clear them.")
    if not country:
        if not subdivision:
            return []
        problem = _("its public holidays name the subdivision %(subdivision)s but no country.")
        return [_error(47, where(problem % {"subdivision": subdivision}), hint)]
    try:
        holidays.country_holidays(country)
    except NotImplementedError:
        problem = _("the holidays package knows no public holidays of %(country)s.") % {"country": country}
        return [_error(45, where(problem), hint)]
    try:
        holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        problem = _("the holidays package knows no subdivision %(subdivision)s of %(country)s.")
        return [_error(46, where(problem % {"subdivision": subdivision, "country": country}), hint)]
    return []
