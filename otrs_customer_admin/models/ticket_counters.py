"""The ticket counts stored on customers and customer users, and how they are kept.

``open_ticket_count`` and ``closed_ticket_count`` live on the rows, so that lists sort by them
and cards and widgets read them without counting thousands of tickets. Every ticket write path
(``Ticket.save()`` and ``delete()``, the ticket queryset's bulk methods) calls
``recount_tickets()`` for the owners it touched; code that writes tickets with raw SQL calls it
itself. Merged and removed tickets count as neither open nor closed.
"""

from django.db import models
from django.db.models.functions import Coalesce

from .customer import Customer
from .customer_user import CustomerUser
from .ticket_states import CLOSED_STATES, OPEN_STATES
from .visibility import restricted

# The models that tickets point at, by the name of the ticket's field.
OWNERS = {"customer": Customer, "customer_user": CustomerUser}


def ticket_count_annotations(owner_field, user=None):
    """``open_tickets``/``closed_tickets`` counts for rows that tickets point at through ``owner_field``,
    of the tickets ``user`` sees (every one for None).

    Correlated subqueries rather than a JOIN with GROUP BY: a paginated list then
    counts tickets for the rows on the page only, and the page's count query
    drops them altogether.
    """
    # The ticket model through the owner's reverse relation: this module sits below models.ticket.
    ticket = OWNERS[owner_field]._meta.get_field("tickets").related_model

    def count(states):
        tickets = (
            ticket.objects.filter(**{owner_field: models.OuterRef("pk")}, state__in=states)
            .visible_to(user)
            .order_by()
            .values(owner_field)
            .annotate(total=models.Count("pk"))
            .values("total")
        )
        return Coalesce(models.Subquery(tickets, output_field=models.IntegerField()), 0)

    return {"open_tickets": count(OPEN_STATES), "closed_tickets": count(CLOSED_STATES)}


def recount_tickets(customer_ids=None, customer_user_ids=None):
    """Store the open and closed ticket counts of these customers and customer users (every one with None).

    It writes the counters only: a record of a read-only source gets its counts too.
    """
    for owner_field, ids in (("customer", customer_ids), ("customer_user", customer_user_ids)):
        model = OWNERS[owner_field]
        counts = ticket_count_annotations(owner_field)
        fields = {"open_ticket_count": counts["open_tickets"], "closed_ticket_count": counts["closed_tickets"]}
        if ids is None:
            model._base_manager.update(**fields)
            continue
        ids = sorted({pk for pk in ids if pk is not None})
        for start in range(0, len(ids), 500):
            model._base_manager.filter(pk__in=ids[start : start + 500]).update(**fields)


def owners_of(tickets):
    """The (customer ids, customer-user ids) of ``tickets``, a queryset or a list of tickets."""
    if isinstance(tickets, models.QuerySet):
        pairs = tickets.order_by().values_list("customer_id", "customer_user_id").distinct()
    else:
        pairs = [(ticket.customer_id, ticket.customer_user_id) for ticket in tickets]
    pairs = list(pairs)
    return {customer for customer, _user in pairs}, {user for _customer, user in pairs}


def with_ticket_counts_for(queryset, user):
    """``queryset.with_ticket_counts()`` as ``user`` may see them: a customer user's stored counts
    take in the tickets of every customer they work for, so for a user who sees only some
    customers (``models.visibility``) the counts are of the tickets of those."""
    if not restricted(user) or queryset.model is not CustomerUser:
        return queryset.with_ticket_counts()
    return queryset.annotate(**ticket_count_annotations("customer_user", user))
