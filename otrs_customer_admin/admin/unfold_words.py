"""django-unfold's own words on the package's pages, for the package's translations.

unfold 0.110 ships no German, so its search box, sidebar, filters, login page and shortcut
help would stay English on an otherwise German admin. Translations are one catalogue per
language for the whole site, so listing unfold's messages here lets ``makemessages`` put them
into the package's catalogue, where they translate unfold's templates too. Nothing imports
this at run time; ``tests/test_translations.py`` checks that unfold still uses every one.
"""

from django.utils.translation import gettext_noop

UNFOLD_WORDS = (
    # Sidebar, search and header
    gettext_noop("All applications"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Recent searches"),
    gettext_noop("Nothing matched your search"),
    gettext_noop("Type to search"),
    gettext_noop("Toggle sidebar"),
    gettext_noop("Return to site"),
    gettext_noop("Toggle dark/light mode"),
    gettext_noop("Light"),
    gettext_noop("Dark"),
    gettext_noop("System"),
    # Lists and filters
    gettext_noop("Filters"),
    gettext_noop("Apply Filters"),
    gettext_noop("Reset filters"),
    gettext_noop("Toggle filter"),
    gettext_noop("Select value"),
    gettext_noop("Select action"),
    gettext_noop("Select action to run"),
    gettext_noop("Run"),
    gettext_noop("No results found"),
    gettext_noop("This page yielded into no results."),
    gettext_noop("Date from"),
    gettext_noop("Date to"),
    gettext_noop("Previous"),
    gettext_noop("Next"),
    # Forms
    gettext_noop("Add row"),
    gettext_noop("Add new item"),
    gettext_noop("Create new record"),
    gettext_noop("Choose file to upload"),
    gettext_noop("Select format"),
    gettext_noop("Select record"),
    gettext_noop("Submit"),
    gettext_noop("Cancel"),
    gettext_noop("Go back"),
    gettext_noop("Collapse"),
    # Login and logout
    gettext_noop("Forgotten your password or username?"),
    gettext_noop("Toggle password visibility"),
    gettext_noop("You have been successfully logged out from the administration"),
    # Keyboard shortcuts
    gettext_noop("Available shortcuts"),
    gettext_noop("Open shortcuts list"),
    gettext_noop("Open command tool"),
    gettext_noop("Global shortcuts"),
    gettext_noop("Changelist shortcuts"),
    gettext_noop("Command tool shortcuts"),
    gettext_noop("Navigate"),
    gettext_noop("Open selection"),
    gettext_noop("Open selection in new tab"),
    gettext_noop("Select"),
)
