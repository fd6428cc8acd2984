from .base import Validity
from .customer import Customer
from .customer_user import CustomerUser
from .preferences import WidgetPreference
from .sync import SyncRun
from .ticket import (
    CLOSED_STATES,
    OPEN_STATES,
    PENDING_STATES,
    SLA,
    STATE_TYPES,
    Deadline,
    Priority,
    SLADeadline,
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
    "SLADeadline",
    "StateType",
    "SyncRun",
    "Ticket",
    "TicketState",
    "Validity",
    "WidgetPreference",
]
