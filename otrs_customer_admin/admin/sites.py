def register(site):
    """Register the package's models and admin classes on ``site``.

    django-auditlog's own admin of its entries (which its app registers on Django's default site)
    leaves the site: its list shows every entry to whoever may view entries, including those of
    records customer groups hide from them. A record's history is on its History widget and its
    admin history page, shown to those who may see the record.
    """
    from ..models import (
        SLA,
        Calendar,
        Customer,
        CustomerGroup,
        CustomerUser,
        DynamicField,
        ImportExportProfile,
        Job,
        SyncRun,
        Ticket,
    )
    from .calendars import CalendarAdmin
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
        (Calendar, CalendarAdmin),
        (SyncRun, SyncRunAdmin),
        (Job, JobAdmin),
        (DynamicField, DynamicFieldAdmin),
        (ImportExportProfile, ImportExportProfileAdmin),
        (CustomerGroup, CustomerGroupAdmin),  # opens only with CUSTOMER_GROUP_SUPPORT on
    ):
        if not site.is_registered(model):
            site.register(model, model_admin)
    forget_auditlogs_admin(site)


def forget_auditlogs_admin(site):
    """Unregister django-auditlog's ``LogEntryAdmin`` from ``site`` where its app put it there."""
    from auditlog.models import LogEntry

    if site.is_registered(LogEntry) and type(site.get_model_admin(LogEntry)).__module__ == "auditlog.admin":
        site.unregister(LogEntry)
