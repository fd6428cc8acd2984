"""A ticket's states, the OTRS state types they belong to, and its priorities.

OTRS groups its states by type: what counts as open, pending or closed is decided by the
type, never by the state's name (``OPEN_STATES``, ``PENDING_STATES``, ``CLOSED_STATES``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketState(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    PENDING_REMINDER = "pending reminder", _("pending reminder")
    PENDING_AUTO_CLOSE_PLUS = "pending auto close+", _("pending auto close+")
    PENDING_AUTO_CLOSE_MINUS = "pending auto close-", _("pending auto close-")
    CLOSED_SUCCESSFUL = "closed successful", _("closed successful")
    CLOSED_UNSUCCESSFUL = "closed unsuccessful", _("closed unsuccessful")
    MERGED = "merged", _("merged")
    REMOVED = "removed", _("removed")


class StateType(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    PENDING_REMINDER = "pending reminder", _("pending reminder")
    PENDING_AUTO = "pending auto", _("pending auto")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged")
    REMOVED = "removed", _("removed")


STATE_TYPES = {
    TicketState.NEW: StateType.NEW,
    TicketState.OPEN: StateType.OPEN,
    TicketState.PENDING_REMINDER: StateType.PENDING_REMINDER,
    TicketState.PENDING_AUTO_CLOSE_PLUS: StateType.PENDING_AUTO,
    TicketState.PENDING_AUTO_CLOSE_MINUS: StateType.PENDING_AUTO,
    TicketState.CLOSED_SUCCESSFUL: StateType.CLOSED,
    TicketState.CLOSED_UNSUCCESSFUL: StateType.CLOSED,
    TicketState.MERGED: StateType.MERGED,
    TicketState.REMOVED: StateType.REMOVED,
}

# OTRS's Ticket::ViewableStateType: what counts as open. Merged and removed are neither.
OPEN_STATE_TYPES = (StateType.NEW, StateType.OPEN, StateType.PENDING_REMINDER, StateType.PENDING_AUTO)
PENDING_STATE_TYPES = (StateType.PENDING_REMINDER, StateType.PENDING_AUTO)

OPEN_STATES = [state.value for state, kind in STATE_TYPES.items() if kind in OPEN_STATE_TYPES]
PENDING_STATES = [state.value for state, kind in STATE_TYPES.items() if kind in PENDING_STATE_TYPES]
CLOSED_STATES = [state.value for state, kind in STATE_TYPES.items() if kind == StateType.CLOSED]


class Priority(models.IntegerChoices):
    VERY_LOW = 1, _("1 very low")
    LOW = 2, _("2 low")
    NORMAL = 3, _("3 normal")
    HIGH = 4, _("4 high")
    VERY_HIGH = 5, _("5 very high")
