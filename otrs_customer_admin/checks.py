"""System checks for the ``OTRS_CUSTOMER_ADMIN`` setting and the apps it needs.

Ids are ``otrs_customer_admin.E001``…; each message says what is wrong and each
hint what to do about it.
"""

import difflib
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import DEFAULTS, SETTING_NAME
from .datasources.base import SOURCE_KEY_PATTERN, DataSource

ID = "otrs_customer_admin"


def _error(number, msg, hint):
    return Error(msg, hint=hint, id=f"{ID}.E{number:03d}")


@register(Tags.compatibility)
def check_installed_apps(app_configs=None, **kwargs):
    apps = list(django_settings.INSTALLED_APPS)
    errors = []
    required = {
        "unfold": "unfold",
        "import_export": "import_export",
        "django_countries": "django_countries",
        "django.contrib.admin": "django.contrib.admin",
    }
    for name, entry in required.items():
        if not any(app == entry or app.startswith(entry + ".apps.") for app in apps):
            errors.append(
                _error(1, f"{name!r} is missing from INSTALLED_APPS.", f"Add {entry!r} to INSTALLED_APPS (see README).")
            )
    positions = {entry: i for i, app in enumerate(apps) for entry in required if app.split(".apps.")[0] == entry}
    unfold, admin = positions.get("unfold"), positions.get("django.contrib.admin")
    if unfold is not None and admin is not None and unfold > admin:
        errors.append(
            _error(
                2,
                "'unfold' comes after 'django.contrib.admin' in INSTALLED_APPS, so the admin is not themed.",
                "Move 'unfold' (and its contrib apps) before 'django.contrib.admin'.",
            )
        )
    return errors


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    config = getattr(django_settings, SETTING_NAME, {})
    if not isinstance(config, dict):
        return [_error(3, f"{SETTING_NAME} must be a dict, not {type(config).__name__}.", "Use a dict of settings.")]
    errors = []
    for key in config:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known settings: {', '.join(sorted(DEFAULTS))}."
            errors.append(_error(4, f"{SETTING_NAME} has an unknown setting {key!r}.", hint))
    if "ALLOW_DELETE" in config and not isinstance(config["ALLOW_DELETE"], bool):
        errors.append(_error(5, f"{SETTING_NAME}['ALLOW_DELETE'] must be True or False.", "Use a bool."))
    window = config.get("REMINDER_WINDOW", DEFAULTS["REMINDER_WINDOW"])
    if not isinstance(window, timedelta) or window < timedelta(0):
        errors.append(
            _error(
                6,
                f"{SETTING_NAME}['REMINDER_WINDOW'] must be a timedelta of zero or more.",
                "For example datetime.timedelta(hours=24).",
            )
        )
    errors += _check_data_sources(config.get("DATA_SOURCES", DEFAULTS["DATA_SOURCES"]))
    errors += _check_widgets(config)
    errors += _check_values(config)
    return errors


def _check_values(config):
    """The plain values: numbers, URL templates, the default country."""
    errors = []
    for key in ("WIDGET_ROWS", "IMPORT_MAX_UPLOAD_SIZE", "IMPORT_MAX_ROWS"):
        value = config.get(key, DEFAULTS[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(_error(17, f"{SETTING_NAME}[{key!r}] must be a whole number of at least 1.", None))
    map_url = config.get("MAP_URL", DEFAULTS["MAP_URL"])
    if not isinstance(map_url, str) or "{address}" not in map_url:
        errors.append(
            _error(18, f"{SETTING_NAME}['MAP_URL'] must be a URL containing {{address}}.", "See docs/settings.md.")
        )
    links = config.get("SOCIAL_LINKS", DEFAULTS["SOCIAL_LINKS"])
    well_formed = isinstance(links, (list, tuple)) and all(
        isinstance(link, (list, tuple)) and len(link) == 2 and "{name}" in str(link[1]) for link in links
    )
    if not well_formed:
        errors.append(
            _error(
                19,
                f"{SETTING_NAME}['SOCIAL_LINKS'] must be a list of (label, URL containing {{name}}) pairs.",
                "For example [('LinkedIn', 'https://www.linkedin.com/search/results/companies/?keywords={name}')].",
            )
        )
    errors += _check_sync_values(config)
    country = config.get("DEFAULT_COUNTRY", DEFAULTS["DEFAULT_COUNTRY"])
    if country:
        from .importexport.values import parse_country

        try:
            code = parse_country(country)
        except ValueError as error:
            errors.append(_error(20, f"{SETTING_NAME}['DEFAULT_COUNTRY']: {error}", "Use an ISO code such as 'DE'."))
        else:
            if code != country:
                errors.append(
                    _error(
                        20, f"{SETTING_NAME}['DEFAULT_COUNTRY'] is {country!r}; write its ISO code.", f"Use {code!r}."
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
                f"{SETTING_NAME}['SYNC_MASS_INVALIDATION'] must be {{'PERCENT': 0-100, 'MINIMUM': a number >= 0}}.",
                "The default is {'PERCENT': 10, 'MINIMUM': 50}.",
            )
        )
    for key in ("SYNC_FAIL_ON_CONFLICT", "SYNC_FAIL_ON_MALFORMED"):
        if not isinstance(config.get(key, False), bool):
            errors.append(_error(28, f"{SETTING_NAME}[{key!r}] must be True or False.", "Use a bool."))
    if not isinstance(config.get("SYNC_USER", DEFAULTS["SYNC_USER"]), str) or not config.get("SYNC_USER", "x"):
        errors.append(_error(28, f"{SETTING_NAME}['SYNC_USER'] must be a username.", None))
    stale = config.get("SYNC_STALE_AFTER", DEFAULTS["SYNC_STALE_AFTER"])
    if not isinstance(stale, timedelta) or stale <= timedelta(0):
        errors.append(
            _error(
                28,
                f"{SETTING_NAME}['SYNC_STALE_AFTER'] must be a positive timedelta.",
                "For example timedelta(hours=1).",
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
            errors.append(_error(13, f"{SETTING_NAME}['WIDGETS']: {path!r} does not import ({exc}).", "Fix the path."))
            continue
        if not (isinstance(widget, type) and issubclass(widget, Widget) and widget.key):
            errors.append(
                _error(
                    14,
                    f"{SETTING_NAME}['WIDGETS']: {path!r} is not a Widget subclass with a key.",
                    "Subclass otrs_customer_admin.widgets.Widget and set key, title and template.",
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
                hint = f"Did you mean {close[0]!r}?" if close else f"Known widgets: {', '.join(sorted(widgets))}."
                errors.append(_error(15, f"{SETTING_NAME}[{name!r}] names an unknown widget {key!r}.", hint))
            elif screen not in widget.screens:
                errors.append(
                    _error(
                        16,
                        f"{SETTING_NAME}[{name!r}]: the widget {key!r} cannot appear on this screen.",
                        f"Its screens are {', '.join(widget.screens)}; remove it from {name}.",
                    )
                )
    return errors


def _check_data_sources(sources):
    name = f"{SETTING_NAME}['DATA_SOURCES']"
    if not isinstance(sources, dict) or not sources:
        return [_error(7, f"{name} must be a non-empty dict of source key -> options.", "See docs/settings.md.")]
    errors = []
    writable = 0
    for key, options in sources.items():
        where = f"{name}[{key!r}]"
        if not isinstance(key, str) or not SOURCE_KEY_PATTERN.match(key):
            errors.append(
                _error(8, f"{where}: a source key is 1-50 lower-case letters, digits, '_' or '-'.", "Rename it.")
            )
        if not isinstance(options, dict) or not isinstance(options.get("BACKEND"), str):
            errors.append(
                _error(
                    9,
                    f"{where} needs a 'BACKEND' with the dotted path of a DataSource class.",
                    "For example {'BACKEND': 'otrs_customer_admin.datasources.database.DatabaseSource'}.",
                )
            )
            continue
        try:
            backend = import_string(options["BACKEND"])
        except ImportError as exc:
            errors.append(
                _error(10, f"{where}: BACKEND {options['BACKEND']!r} does not import ({exc}).", "Fix the dotted path.")
            )
            continue
        if not (isinstance(backend, type) and issubclass(backend, DataSource)):
            errors.append(
                _error(
                    11,
                    f"{where}: BACKEND {options['BACKEND']!r} is not a DataSource subclass.",
                    "Subclass otrs_customer_admin.datasources.DataSource.",
                )
            )
            continue
        missing = backend.missing_modules()
        if missing:
            errors.append(
                _error(
                    12,
                    f"{where} needs the module(s) {', '.join(missing)}, which are not installed.",
                    backend.install_hint or f"pip install {' '.join(missing)}",
                )
            )
        else:
            errors += [_error(number, msg, hint) for number, msg, hint in backend.check_options(where, options)]
        writable += not backend.read_only
    if not errors and not writable:
        errors.append(
            Warning(
                f"{name} has no writable source, so nobody can add customers or customer users.",
                hint="That is fine for a directory-only site; otherwise add the database source.",
                id=f"{ID}.W001",
            )
        )
    return errors
