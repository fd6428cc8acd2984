"""Template tags of the package's admin pages."""

from django import template

from ..admin.display import object_url as resolve_object_url

register = template.Library()


@register.simple_tag
def object_url(name, pk):
    """``{% url name pk %}`` for per-object admin URLs, resolved once per name: widget rows link
    every ticket and person twice or more, and a detail view has dozens of rows."""
    return resolve_object_url(name, pk)
