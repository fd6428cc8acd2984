"""One mixin per page OTRS has beyond Django's list and form, as unfold composes its admin.

``SourcedRecordAdmin`` (``otrs_customer_admin.admin.base``) combines them for customers and
customer users; a site's own admin may take any of them on its own.
"""

from .busy import DatabaseBusyMixin
from .card import BusinessCardMixin
from .changed_fields import SaveChangedFieldsMixin
from .customer_groups import ChoicesThroughGroupsMixin, CustomerGroupsMixin
from .data_source import DataSourceStepMixin
from .deadlines import RecomputeDeadlinesMixin
from .detail import DetailPageMixin, DetailViewMixin
from .dynamic_columns import DynamicFieldsListMixin
from .dynamic_fields import DynamicFieldsMixin
from .history import RecordHistoryMixin
from .invalidate import SetInvalidMixin
from .merge import MergeCustomersMixin, MergeCustomerUsersMixin
from .pages import Action, ActionGroup, RecordPageMixin, record_action
from .prefill import PrefillMixin
from .privacy import PrivacyMixin
from .ticket_detail import TicketDetailMixin

__all__ = [
    "Action",
    "ActionGroup",
    "BusinessCardMixin",
    "ChoicesThroughGroupsMixin",
    "CustomerGroupsMixin",
    "DataSourceStepMixin",
    "DatabaseBusyMixin",
    "DetailPageMixin",
    "DetailViewMixin",
    "DynamicFieldsListMixin",
    "DynamicFieldsMixin",
    "MergeCustomerUsersMixin",
    "MergeCustomersMixin",
    "PrefillMixin",
    "PrivacyMixin",
    "RecomputeDeadlinesMixin",
    "RecordHistoryMixin",
    "RecordPageMixin",
    "SaveChangedFieldsMixin",
    "SetInvalidMixin",
    "TicketDetailMixin",
    "record_action",
]
