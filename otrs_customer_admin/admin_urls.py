"""The URLs of the admin's pages for a model, on a given admin site, and the site's admins.

One helper for the admin classes, the widgets and the list columns::

    admin_url(site, Customer, "detail", quote(customer.pk))
    admin_url(site, Ticket, "changelist", query={"customer__id__exact": 7})

``site`` is an ``AdminSite`` or its name, so a site registered under another name than
``admin`` gets its own links. Per-object URLs are resolved once per name and site: a
list of 100 rows with two card links each would otherwise resolve 400 URLs.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.admin.utils import quote
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

PK_PLACEHOLDER = "~pk~"
APP_LABEL = "otrs_customer_admin"


def url_name(model, view):
    """The admin URL name of ``view`` for ``model``, without namespace: ``otrs_customer_admin_customer_detail``."""
    return f"{model._meta.app_label}_{model._meta.model_name}_{view}"


def admin_url(site, model, view, *args, query=None):
    """The URL of ``view`` ("changelist", "add", "change", "detail", "card"…) of ``model`` on ``site``.

    ``args`` are the URL's arguments, already quoted (``django.contrib.admin.utils.quote``);
    ``query`` a mapping or a list of pairs for the query string.
    """
    site_name = getattr(site, "name", site)
    name = f"{site_name}:{url_name(model, view)}"
    if len(args) == 1:
        pattern = _url_pattern(name, site_name, get_script_prefix(), get_urlconf())
        url = pattern.replace(PK_PLACEHOLDER, str(args[0]))
    else:
        url = reverse(name, args=args, current_app=site_name)
    return f"{url}?{urlencode(query)}" if query else url


def site_admin(site, model):
    """The ``ModelAdmin`` of ``model`` on ``site``, or ``None`` when the site has none."""
    return site.get_model_admin(model) if site.is_registered(model) else None


def record_links(site, obj):
    """``obj``'s detail and card URLs on ``site``: what a link that shows its business card on hover needs."""
    pk = quote(obj.pk)
    return {"detail": admin_url(site, obj, "detail", pk), "card": admin_url(site, obj, "card", pk)}


def job_page_url(site, job):
    """The URL of ``job``'s page (a background job) on ``site``, or ``None`` when the site shows no jobs."""
    if site_admin(site, type(job)) is None:
        return None
    return admin_url(site, job, "change", quote(job.pk))


def may_change(site, request, model, obj=None):
    """True when ``site`` has an admin for ``model`` that lets the request's user change ``obj``
    (with ``None``: records of ``model``)."""
    model_admin = site_admin(site, model)
    return model_admin is not None and model_admin.has_change_permission(request, obj)


def may_change_people(site, request):
    """True when the request's user may change customers and customer users alike on ``site``:
    what a sync and a merge of customers need, since each writes both."""
    return all(may_change(site, request, apps.get_model(APP_LABEL, name)) for name in ("Customer", "CustomerUser"))


@lru_cache(maxsize=256)
def _url_pattern(name, current_app, script_prefix, urlconf):
    return reverse(name, args=[PK_PLACEHOLDER], current_app=current_app, urlconf=urlconf)


def _forget_url_patterns(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _url_pattern.cache_clear()


setting_changed.connect(_forget_url_patterns, dispatch_uid="otrs_customer_admin.admin_urls.patterns")
