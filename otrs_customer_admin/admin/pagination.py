"""Counting rows for the lists: exactly, unless that means reading a great many of them.

Django's changelist counts every matching row to number its pages. On PostgreSQL a count
reads every row (its MVCC rules out an index-only shortcut on a busy table), so for very
long lists the paginator takes the planner's estimate instead, as large Django sites do,
and the page says "about … (estimated)". SQLite has no estimate to offer; its counts are
exact. The rows of a page are fetched by key, so that no annotation is computed for the
rows before the page.
"""

import json

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Above this many rows (the planner's guess) the count is the estimate.
ESTIMATE_ABOVE = 200_000


def planner_estimate(queryset):
    """The planner's estimate of the number of rows of ``queryset``, or None where there is none."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    template_name = "otrs_customer_admin/pagination.html"
    estimate_above = ESTIMATE_ABOVE
    estimated = False

    @cached_property
    def count(self):
        estimate = planner_estimate(self.object_list) if isinstance(self.object_list, QuerySet) else None
        if estimate is not None and estimate > self.estimate_above:
            self.estimated = True
            return estimate
        return super().count

    def page(self, number):
        """Beyond the first page, the rows in two steps: their keys first, then the rows with their
        annotations. PostgreSQL computes the selected columns (the ticket-count subqueries) of
        every row an OFFSET skips; fetched by key, the annotations cost the page's rows only.
        """
        queryset = self.object_list
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not bottom or not isinstance(queryset, QuerySet) or not queryset.query.annotations:
            return super().page(number)  # nothing skipped, nothing to save
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = queryset.order_by().in_bulk(keys)
        return self._get_page([rows[key] for key in keys if key in rows], number, self)

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # With an estimate the last pages may be empty: show them empty rather than refuse them.
            if self.estimated and int(number) >= 1:
                return int(number)
            raise


class KeyedPagesMixin:
    """ModelAdmin mixin: the paginator that estimates very long lists and pages by key."""

    paginator = EstimatedCountPaginator
    # Django would count the whole table once more for "N total" beside a filtered count.
    show_full_result_count = False
