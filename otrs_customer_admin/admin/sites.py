def register(site):
    """Register the package's models and admin classes on ``site``."""
    from ..models import (
        SLA,
        Customer,
        CustomerGroup,
        CustomerUser,
        DynamicField,
        ImportExportProfile,
        Job,
        SyncRun,
        Ticket,
    )
    from .customer import CustomerAdmin
    from .customer_groups import CustomerGroupAdmin
    from .customer_user import CustomerUserAdmin
    from .dynamic_fields import DynamicFieldAdmin
    from .jobs import JobAdmin
    from .profiles import ImportExportProfileAdmin
    from .sync import SyncRunAdmin
    from .ticket import SLAAdmin, TicketAdmin

    for model, model_admin in (
        (Customer, CustomerAdmin),
        (CustomerUser, CustomerUserAdmin),
        (Ticket, TicketAdmin),
        (SLA, SLAAdmin),
        (SyncRun, SyncRunAdmin),
        (Job, JobAdmin),
        (DynamicField, DynamicFieldAdmin),
        (ImportExportProfile, ImportExportProfileAdmin),
        (CustomerGroup, CustomerGroupAdmin),  # opens only with CUSTOMER_GROUP_SUPPORT on
    ):
        if not site.is_registered(model):
            site.register(model, model_admin)
