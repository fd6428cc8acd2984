"""The widget framework of the detail views.

A widget is a small panel of a customer's (or customer user's) detail view::

    from otrs_customer_admin.widgets import Widget, register

    @register
    class ContractsWidget(Widget):
        key = "contracts"
        title = _("Contracts")
        template = "myapp/contracts_widget.html"
        screens = ("customer",)
        permissions = ("myapp.view_contract",)

        def get_context(self, request, obj):
            return {"contracts": obj.contracts.all()[:10]}

Widgets can also be registered by dotted path in ``OTRS_CUSTOMER_ADMIN["WIDGETS"]``.
Which of them a screen shows, and in which order, is the screen configuration
(``CUSTOMER_WIDGETS`` / ``CUSTOMER_USER_WIDGETS``), which each admin user can
change for themselves (``Layout``).
"""

from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from ..admin_urls import admin_url, record_links, site_admin
from ..conf import SETTING_NAME, settings

CUSTOMER = "customer"
CUSTOMER_USER = "customeruser"
SCREEN_SETTINGS = {CUSTOMER: "CUSTOMER_WIDGETS", CUSTOMER_USER: "CUSTOMER_USER_WIDGETS"}


class Widget:
    """Base class of detail-view widgets; see the module docstring."""

    key = ""
    title = ""
    template = ""
    # The detail views the widget can appear on.
    screens: tuple[str, ...] = (CUSTOMER,)
    # Permissions (``app_label.codename``) the user needs to see the widget.
    permissions: tuple[str, ...] = ()
    empty_message = _("Nothing to show.")

    def __init__(self, model_admin=None):
        # The admin of the detail view the widget is on: its site, and the permissions
        # of its model's admin and of the others on that site.
        self.model_admin = model_admin

    def has_permission(self, request, obj):
        return request.user.has_perms(self.permissions)

    def admin_for(self, model):
        """The ``ModelAdmin`` of ``model`` on this widget's admin site, or ``None``."""
        return site_admin(self.model_admin.admin_site, model)

    def url(self, model, view, *args, query=None):
        """The URL of ``model``'s admin ``view`` on this widget's site; ``""`` when the site has none."""
        if self.admin_for(model) is None:
            return ""
        return admin_url(self.model_admin.admin_site, model, view, *args, query=query)

    def record_links(self, obj):
        """``obj``'s detail and card URLs, for a row that shows its business card on hover."""
        if self.admin_for(type(obj)) is None:
            return {"detail": "", "card": ""}
        return record_links(self.model_admin.admin_site, obj)

    def get_context(self, request, obj):
        """Extra template context; keep it to a fixed number of queries."""
        return {}

    def render(self, request, obj, extra_context=None):
        context = {
            "widget": self,
            "object": obj,
            "request": request,
            **(extra_context or {}),
            **self.get_context(request, obj),
        }
        return render_to_string(self.template, context, request=request)


_registered = {}


def _check_widget(widget_class, known):
    if not (isinstance(widget_class, type) and issubclass(widget_class, Widget)) or not widget_class.key:
        raise ImproperlyConfigured(f"{widget_class!r} is not a Widget subclass with a key.")
    other = known.get(widget_class.key)
    if other is not None and other is not widget_class:
        raise ImproperlyConfigured(
            f"Two widgets use the key {widget_class.key!r}: {other.__module__}.{other.__qualname__} and "
            f"{widget_class.__module__}.{widget_class.__qualname__}."
        )


def register(widget_class):
    """Register a ``Widget`` subclass under its key; usable as a class decorator."""
    _check_widget(widget_class, _registered)
    _registered[widget_class.key] = widget_class
    return widget_class


@cache
def _settings_widgets():
    """The widgets named in settings, keyed by their key (imported once per settings). They are
    kept apart from the registered ones, so that a widget leaves with its setting."""
    widgets = {}
    for path in settings.WIDGETS:
        widget_class = import_string(path)
        _check_widget(widget_class, {**_registered, **widgets})
        widgets[widget_class.key] = widget_class
    return widgets


def _forget_settings_widgets(*, setting, **kwargs):
    if setting == SETTING_NAME:
        _settings_widgets.cache_clear()


setting_changed.connect(_forget_settings_widgets, dispatch_uid="otrs_customer_admin.widgets.settings_widgets")


def registered_widgets():
    """Every widget class: the registered ones (the built-in ones too) and those named in settings."""
    return {**_registered, **_settings_widgets()}


def available_widgets(screen):
    """Keys of the widgets that can appear on ``screen``, configured ones first."""
    widgets = registered_widgets()
    configured = [key for key in getattr(settings, SCREEN_SETTINGS[screen]) if key in widgets]
    others = sorted(key for key, widget in widgets.items() if screen in widget.screens and key not in configured)
    return [key for key in configured if screen in widgets[key].screens] + others


def get_widget(key, model_admin=None):
    """An instance of the widget registered under ``key`` for ``model_admin``'s detail view."""
    widget_class = registered_widgets().get(key)
    return widget_class(model_admin) if widget_class else None


def default_widgets(screen):
    """The screen configuration: keys shown to a user who has not changed the screen."""
    available = available_widgets(screen)
    return [key for key in getattr(settings, SCREEN_SETTINGS[screen]) if key in available]


class Layout:
    """One user's widgets on one screen: the configuration, or what they made of it.

    ``change()`` applies one of ``ACTIONS``; the result is kept per user (in the
    database, so it survives logout) until ``reset()``.
    """

    ACTIONS = ("hide", "show", "up", "down")

    def __init__(self, user, screen):
        from ..models import WidgetPreference

        self.user = user
        self.screen = screen
        self.available = available_widgets(screen)
        self.default = default_widgets(screen)
        self.preference = WidgetPreference.objects.filter(user=user, screen=screen).first()
        stored = self.preference.widgets if self.preference else self.default
        self.visible = [key for key in stored if key in self.available]

    @property
    def is_customized(self):
        return self.preference is not None

    @property
    def hidden(self):
        return [key for key in self.available if key not in self.visible]

    def change(self, action, key, shown=None):
        """Apply ``action`` to widget ``key``; returns False when it does not apply.

        ``shown`` lists the keys the user actually sees (their permissions may
        hide some stored ones): moving swaps with the neighbour on the page.
        """
        visible = list(self.visible)
        if action == "show" and key in self.hidden:
            visible.append(key)
        elif action == "hide" and key in visible:
            visible.remove(key)
        elif action in ("up", "down") and key in visible:
            on_page = [name for name in visible if shown is None or name in shown]
            position = on_page.index(key) if key in on_page else -1
            target = position - 1 if action == "up" else position + 1
            if position < 0 or not 0 <= target < len(on_page):
                return False
            first, second = visible.index(key), visible.index(on_page[target])
            visible[first], visible[second] = visible[second], visible[first]
        else:
            return False
        self._save(visible)
        return True

    def _save(self, visible):
        from ..models import WidgetPreference

        self.preference, _created = WidgetPreference.objects.update_or_create(
            user=self.user, screen=self.screen, defaults={"widgets": visible}
        )
        self.visible = visible

    def reset(self):
        from ..models import WidgetPreference

        WidgetPreference.objects.filter(user=self.user, screen=self.screen).delete()
        self.preference = None
        self.visible = list(self.default)
