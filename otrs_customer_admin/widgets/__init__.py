from .base import CUSTOMER, CUSTOMER_USER, Layout, Widget, available_widgets, get_widget, register, registered_widgets

__all__ = [
    "CUSTOMER",
    "CUSTOMER_USER",
    "Layout",
    "Widget",
    "available_widgets",
    "get_widget",
    "register",
    "registered_widgets",
]
