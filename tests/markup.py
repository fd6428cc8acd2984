"""Structural assertions on HTML, over Django's own test parser (the one ``assertInHTML`` uses).

Instead of slicing ``response.content.decode()`` between two marker strings, parse the page and
look things up by element and attribute::

    page = document(response)
    widget = element(page, "section", data_widget="open-tickets")
    assert len(elements(widget, "tr", data_ticket=True)) == 10
    assert text(element(widget, "a", href=link)).startswith("Show all 14 tickets")

Attribute values are compared unescaped (``href="?a=1&b=2"``, not ``&amp;``), and whitespace in
text is collapsed, as ``django.test.html`` does. ``text()`` is the one way to read what a page says:
``text(document(response))`` for a whole page.
"""

from django.test import SimpleTestCase
from django.test.html import Element, parse_html

__all__ = ["action_groups", "assert_in_html", "attribute", "document", "element", "elements", "text"]


def document(content):
    """The parsed page: a response, bytes or a string of HTML."""
    content = getattr(content, "content", content)
    if isinstance(content, bytes):
        content = content.decode()
    return parse_html(content)


def attribute(node, name):
    """The value of ``node``'s attribute ``name`` (``None`` when it has none, ``""`` when empty)."""
    return dict(node.attributes).get(name)


def _matches(node, tag, attrs):
    if tag is not None and node.name != tag:
        return False
    present = dict(node.attributes)
    for name, wanted in attrs.items():
        if name not in present:
            return False
        value = present[name]
        if wanted is True:
            continue
        if callable(wanted):
            if not wanted(value or ""):
                return False
        elif name == "class":
            if not set(wanted.split()) <= set((value or "").split()):
                return False
        elif value != wanted:
            return False
    return True


def _attribute_name(keyword):
    # data_widget -> data-widget; class_ -> class.
    return keyword.rstrip("_").replace("_", "-")


def elements(root, tag=None, **attrs):
    """Every element below ``root`` (in document order) with that tag and those attributes.

    An attribute is given as a keyword (``data_widget=`` for ``data-widget``, ``class_=`` for
    ``class``, which needs all the given classes); ``True`` only asks for it to be there, and a
    callable is asked about the value.
    """
    wanted = {_attribute_name(name): value for name, value in attrs.items()}
    found = []
    stack = [child for child in reversed(root.children) if isinstance(child, Element)]
    while stack:
        node = stack.pop()
        if _matches(node, tag, wanted):
            found.append(node)
        stack.extend(child for child in reversed(node.children) if isinstance(child, Element))
    return found


def element(root, tag=None, **attrs):
    """The one element below ``root`` that ``elements()`` finds; fails unless there is exactly one."""
    found = elements(root, tag, **attrs)
    described = f"<{tag or '*'}{''.join(f' {name}={value!r}' for name, value in attrs.items())}>"
    assert len(found) == 1, f"{len(found)} elements {described} found, not one"
    return found[0]


# The parser drops the whitespace around elements, so text() puts a space between parts, but
# not before closing punctuation nor after an opening bracket: "(<bdi>ACME</bdi>)" reads "(ACME)".
NO_SPACE_BEFORE = tuple(")]}>,.:;!?")
NO_SPACE_AFTER = tuple("([{<")


# Elements whose content a person does not read.
UNREAD = {"script", "style"}


def text(node):
    """The text content of ``node`` as a person reads it: whitespace collapsed, non-breaking spaces
    (Django's "3\xa0days") as plain ones, no scripts or styles."""
    if isinstance(node, str):
        return node.replace("\xa0", " ")
    result = ""
    for part in (text(child).strip() for child in node.children if getattr(child, "name", None) not in UNREAD):
        if not part:
            continue
        if result and not (part.startswith(NO_SPACE_BEFORE) or result.endswith(NO_SPACE_AFTER)):
            result += " "
        result += part
    return result


def assert_in_html(needle, haystack, count=None):
    """Django's ``assertInHTML``: the fragment ``needle`` occurs in ``haystack`` (``count`` times)."""
    if isinstance(haystack, Element):
        needle_element = parse_html(needle)
        real = haystack.count(needle_element)
        if count is None:
            assert real > 0, f"{needle!r} not found in {haystack}"
        else:
            assert real == count, f"{needle!r} found {real} times, not {count}, in {haystack}"
        return
    SimpleTestCase().assertInHTML(needle, haystack, count=count)


def action_groups(page):
    """A detail page's action columns: ``{"Organize": [("Edit", href), ...], ...}``, icons left out."""
    groups = {}
    for group in elements(page, "div", class_="otrs-action-group"):
        title = text(element(group, "div", class_="otrs-action-group-title"))
        groups[title] = [
            (
                " ".join(
                    text(child)
                    for child in link.children
                    if isinstance(child, str) or "material-symbols-outlined" not in (attribute(child, "class") or "")
                ),
                attribute(link, "href"),
            )
            for link in elements(group, "a", class_="otrs-action")
        ]
    return groups
