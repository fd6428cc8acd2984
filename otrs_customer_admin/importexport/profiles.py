"""Saved import/export profiles (``ImportExportProfile``): what their columns and defaults may hold,
and how an import or an export takes them.

An import profile's ``columns`` is a column mapping, ``{header: field}`` (``""`` ignores the column),
its fields the import's own (``RecordImport.importable_fields``); its ``defaults`` are the import
form's ``default_country`` (an ISO code) and, for customer users, ``default_customer`` (an existing
CustomerID). An export profile's ``columns`` lists export column names in their order.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..folding import fold
from ..models import Customer, ImportExportProfile
from ..values import parse_country
from ..writes import folded_lookup
from .columns import normalise
from .exports import ORDERING, export_headers
from .importers import IMPORTERS

IMPORT, EXPORT = ImportExportProfile.Direction.IMPORT, ImportExportProfile.Direction.EXPORT
# The longest header a mapping keeps (a longer one is no header of a real file).
MAX_HEADER_LENGTH = 200


def models_for(direction):
    """The models a profile of ``direction`` can be for."""
    return list(IMPORTERS) if direction == IMPORT else list(ORDERING)


def import_fields(model):
    """``(field, label)`` for each field an import of ``model`` maps a column to."""
    return IMPORTERS[model]().importable_fields()


def clean_mapping(model, mapping):
    """``mapping`` (header -> field or ``""``) if every field is one an import of ``model`` knows;
    else a ``ValidationError`` naming each wrong entry."""
    known = dict(import_fields(model))
    errors, seen = [], {}
    for header, name in mapping.items():
        if not isinstance(header, str) or not header.strip() or len(header) > MAX_HEADER_LENGTH:
            errors.append(_("A column name must be text of 1 to %(limit)d characters.") % {"limit": MAX_HEADER_LENGTH})
        elif normalise(header) in seen:
            errors.append(_("The column %(column)s is mapped twice.") % {"column": header})
        elif not isinstance(name, str) or (name and name not in known):
            errors.append(
                _("The column %(column)s is mapped to %(field)s, which is not a field of %(records)s.")
                % {"column": header, "field": name, "records": model._meta.verbose_name_plural}
            )
        else:
            seen[normalise(header)] = header
    if errors:
        raise ValidationError(errors)
    return {header.strip(): name for header, name in mapping.items()}


def clean_export_columns(model, columns):
    """``columns`` if each is an export column of ``model``, once; else a ``ValidationError``."""
    known = export_headers(model)
    errors, seen = [], set()
    for column in columns:
        if column not in known:
            errors.append(
                _("%(column)s is not an export column of %(records)s; use %(known)s.")
                % {"column": column, "records": model._meta.verbose_name_plural, "known": ", ".join(known)}
            )
        elif column in seen:
            errors.append(_("The column %(column)s is listed twice.") % {"column": column})
        seen.add(column)
    if errors:
        raise ValidationError(errors)
    return list(columns)


def clean_defaults(model, defaults):
    """An import profile's defaults: ``default_country`` as an ISO code, ``default_customer`` (customer
    users only) as the CustomerID of an existing customer; empty ones left out."""
    cleaned, errors = {}, []
    country = (defaults.get("default_country") or "").strip()
    if country:
        try:
            cleaned["default_country"] = parse_country(country)
        except ValueError as error:
            errors.append(_("Default country: %(error)s") % {"error": error})
    customer = (defaults.get("default_customer") or "").strip()
    if customer and model is Customer:
        errors.append(_("Customers have no default customer; leave it empty."))
    elif customer:
        found = folded_lookup(Customer.objects, "customer_id", {fold(customer)}, ["customer_id"])
        if not found:
            errors.append(_("Default customer: no customer with the CustomerID %(value)s.") % {"value": customer})
        else:
            cleaned["default_customer"] = next(iter(found.values()))["customer_id"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def import_profiles(model):
    return ImportExportProfile.objects.filter(model=model._meta.label_lower, direction=IMPORT)


def export_profiles(model):
    return ImportExportProfile.objects.filter(model=model._meta.label_lower, direction=EXPORT)


class UnknownProfile(Exception):
    """No profile of that name; the message names the known ones."""


def find_profile(model, direction, name):
    """The profile ``name`` of ``model`` and ``direction``; ``UnknownProfile`` naming the known ones."""
    profiles = ImportExportProfile.objects.filter(model=model._meta.label_lower, direction=direction)
    profile = profiles.filter(name=name).first()
    if profile is not None:
        return profile
    known = list(profiles.values_list("name", flat=True))
    records = model._meta.verbose_name_plural
    if not known:
        message = _("No %(direction)s profile called %(name)s: %(records)s have no %(direction)s profiles yet.")
    else:
        message = _("No %(direction)s profile called %(name)s for %(records)s: use one of %(known)s.")
    raise UnknownProfile(
        message
        % {
            "direction": ImportExportProfile.Direction(direction).label,
            "name": name,
            "records": records,
            "known": ", ".join(known),
        }
    )


def profile_import_options(profile, given):
    """The import options ``given`` (``default_country``, ``default_customer``), each empty one
    taken from ``profile``'s defaults, and its column mapping as ``mapping``."""
    defaults = profile.defaults if profile is not None else {}
    options = {name: value or defaults.get(name, "") for name, value in given.items()}
    options["mapping"] = dict(profile.columns) if profile is not None and isinstance(profile.columns, dict) else {}
    return options
