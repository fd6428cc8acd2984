"""Merging records that are one twice: customers (``customers``) and customer users (``people``),
on what they share (``common``). Import from here: the names below are the package's."""

from .common import MergeRefused, merged_comment
from .customers import (
    MergePlan,
    MergeReport,
    additional_link_users,
    merge_customers,
    move_additional_links,
    moved_summary,
    plan_merge,
    source_refusals,
)
from .people import (
    CustomerUserMergePlan,
    CustomerUserMergeReport,
    merge_customer_users,
    plan_merge_customer_users,
)
from .people import source_refusals as customer_user_source_refusals

__all__ = [
    "CustomerUserMergePlan",
    "CustomerUserMergeReport",
    "MergePlan",
    "MergeRefused",
    "MergeReport",
    "additional_link_users",
    "customer_user_source_refusals",
    "merge_customer_users",
    "merge_customers",
    "merged_comment",
    "move_additional_links",
    "moved_summary",
    "plan_merge",
    "plan_merge_customer_users",
    "source_refusals",
]
