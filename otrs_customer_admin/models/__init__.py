from .base import Validity
from .calendars import Calendar
from .customer import Customer
from .customer_groups import CustomerGroup
from .customer_user import CustomerUser, CustomerUserEmail
from .dynamic_field_types import FieldType
from .dynamic_fields import DynamicField, ObjectType
from .dynamic_values import CustomerDynamicValue, CustomerUserDynamicValue
from .jobs import ImportExportProfile, Job
from .preferences import WidgetPreference
from .sla import SLA, Deadline, SLADeadline
from .sync import SyncRun
from .ticket import Ticket
from .ticket_counters import recount_tickets, with_ticket_counts_for
from .ticket_states import CLOSED_STATES, OPEN_STATES, PENDING_STATES, STATE_TYPES, Priority, StateType, TicketState
from .visibility import GroupPermission

__all__ = [
    "CLOSED_STATES",
    "OPEN_STATES",
    "PENDING_STATES",
    "SLA",
    "STATE_TYPES",
    "Calendar",
    "Customer",
    "CustomerDynamicValue",
    "CustomerGroup",
    "CustomerUser",
    "CustomerUserDynamicValue",
    "CustomerUserEmail",
    "Deadline",
    "DynamicField",
    "FieldType",
    "GroupPermission",
    "ImportExportProfile",
    "Job",
    "ObjectType",
    "Priority",
    "SLADeadline",
    "StateType",
    "SyncRun",
    "Ticket",
    "TicketState",
    "Validity",
    "WidgetPreference",
    "recount_tickets",
    "with_ticket_counts_for",
]
