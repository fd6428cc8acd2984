from .base import Validity
from .customer import Customer
from .customer_user import CustomerUser
from .preferences import WidgetPreference
from .ticket import (
    CLOSED_STATES,
    OPEN_STATES,
    PENDING_STATES,
    SLA,
    STATE_TYPES,
    Deadline,
    Priority,
    StateType,
    Ticket,
    TicketState,
)

__all__ = [
    "CLOSED_STATES",
    "OPEN_STATES",
    "PENDING_STATES",
    "SLA",
    "STATE_TYPES",
    "Customer",
    "CustomerUser",
    "Deadline",
    "Priority",
    "StateType",
    "Ticket",
    "TicketState",
    "Validity",
    "WidgetPreference",
]
