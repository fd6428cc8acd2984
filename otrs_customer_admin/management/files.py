"""The bases of the import and export commands (``import_customers``, ``export_customers``, ...):
files of any size, read and written outside a browser."""

import codecs
import time
from functools import partial
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..conf import settings
from ..datasources import get_data_sources
from ..importexport.exports import ExportRefused, chosen_columns, filtered_queryset, write_export
from ..importexport.formats import FileProblem, FileRows, format_for
from ..importexport.profiles import EXPORT, IMPORT, UnknownProfile, find_profile, profile_import_options
from ..models import Validity
from ..models.base import SourcedRecord
from ..values import parse_country
from .base import PackageCommand, known_value
from .progress import Progress
from .users import find_user


class ImportCommand(PackageCommand):
    importer_class = None

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The file to import (CSV, TSV, XLSX or JSON)."))
        parser.add_argument("--format", help=_("csv, tsv, xlsx or json; by default from the file name."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check and count, write nothing."))
        parser.add_argument(
            "--default-country",
            default="",
            help=_("Country of new records whose row has none (ISO code or English name)."),
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=_(
                "Import as this user: with customer groups, only customers this user may change; the changes go "
                "into the admin history under this user's name."
            ),
        )
        parser.add_argument(
            "--profile",
            metavar="NAME",
            help=_(
                "Apply the saved import profile NAME of these records: its column mapping, and its defaults "
                "where this command's options give none."
            ),
        )

    def importer_options(self, options):
        """Options of this command's importer beyond the shared ones."""
        return {}

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        profile = None
        if options["profile"] is not None:
            try:
                profile = find_profile(self.importer_class.model, IMPORT, options["profile"])
            except UnknownProfile as error:
                raise CommandError(str(error)) from None
        given = {"default_country": options["default_country"], **self.importer_options(options)}
        chosen = profile_import_options(profile, given)
        default_country = chosen.pop("default_country") or settings.DEFAULT_COUNTRY
        try:
            default_country = parse_country(default_country) if default_country else ""
            file_format = format_for(options["format"] or path.name)
        except (FileProblem, ValueError) as problem:
            raise CommandError(str(problem)) from None
        user = find_user(options["user"]) if options["user"] else None
        started = time.monotonic()
        importer = self.importer_class(
            default_country=default_country,
            user=user,
            progress=Progress(self.stderr, "rows"),
            **chosen,
        )
        try:
            # The file is read a chunk at a time, twice (check, then write): any size fits in memory.
            report = importer.run(FileRows(path, file_format), dry_run=options["dry_run"])
        except FileProblem as problem:
            raise CommandError(str(problem)) from None
        seconds = time.monotonic() - started
        for warning in report.warnings:
            self.stderr.write(warning)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            if report.more_problems:
                self.stderr.write(
                    ngettext("… and %(count)s more.", "… and %(count)s more.", report.more_problems)
                    % {"count": report.more_problems}
                )
            raise CommandError(
                _("The file was rejected with %(count)d problem(s); nothing was written.")
                % {"count": report.problem_count}
            )
        summary = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged (%(rows)d rows in %(seconds).1f s)."
        )
        self.stdout.write(
            summary
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rows": report.rows,
                "seconds": seconds,
            }
        )
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))


class ExportCommand(PackageCommand):
    """An export to a file or standard output, streamed (``exports.write_export``): written as the
    rows are read, in memory that does not grow with them."""

    model = None

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("Where to write; '-' for standard output (CSV, TSV, JSON)."))
        parser.add_argument("--format", help=_("csv, tsv, xlsx or json; by default from the file name."))
        self.add_filter_arguments(parser)
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=_("Export what this user sees (with customer groups); by default everything."),
        )
        parser.add_argument(
            "--profile",
            metavar="NAME",
            help=_("Export the columns of this saved export profile, in its order; by default all of them."),
        )

    def add_filter_arguments(self, parser):
        parser.add_argument(
            "--validity",
            default="all",
            help=_("Which records, by validity: valid, invalid, invalid-temporarily or all (the default)."),
        )
        if self.sourced:
            parser.add_argument("--data-source", help=_("Only records of this data source (its key)."))

    @property
    def sourced(self):
        """Whether the model's records belong to data sources (SLAs do not)."""
        return issubclass(self.model, SourcedRecord)

    def filters(self, options):
        """``filtered_queryset``'s filters from the options; a ``CommandError`` for an unknown value."""
        validities = [*Validity.machine_names(), "all"]
        filters = {
            "validity": known_value(
                options["validity"], validities, _("Unknown validity %(value)s: use one of %(known)s.")
            )
        }
        if options.get("data_source") is not None:
            filters["data_source"] = known_value(
                options["data_source"],
                list(get_data_sources()),
                _("Unknown data source %(value)s: use one of %(known)s."),
            )
        return filters

    def profile_columns(self, name):
        """The columns of the export profile ``name`` of this command's model."""
        try:
            return find_profile(self.model, EXPORT, name).columns
        except UnknownProfile as error:
            raise CommandError(str(error)) from None

    def handle(self, *args, **options):
        target = options["file"]
        try:
            file_format = format_for(options["format"] or ("csv" if target == "-" else target))
        except FileProblem as problem:
            raise CommandError(str(problem)) from None
        filters = self.filters(options)
        user = find_user(options["user"]) if options["user"] else None
        columns = self.profile_columns(options["profile"]) if options["profile"] else None
        queryset = filtered_queryset(self.model, user=user, **filters)
        try:
            # Refused before anything is written.
            chosen_columns(self.model, user, columns)
        except ExportRefused as refused:
            raise CommandError(str(refused)) from None
        # On a terminal a bar; off one (a pipe, cron) nothing, so that standard error holds the result only.
        progress = Progress(self.stderr, "rows", lines_off_a_terminal=False)
        export = partial(write_export, queryset, file_format, user=user, columns=columns, progress=progress)
        if target == "-":
            if not file_format.is_text():
                raise CommandError(_("Write XLSX to a file, not to standard output."))
            export(StandardOutput(self.stdout))
            return
        try:
            file = open(target, "wb")
        except OSError as error:
            raise CommandError(
                _("%(path)s cannot be written: %(reason)s.") % {"path": target, "reason": error.strerror or error}
            ) from None
        try:
            with file:
                count = export(file)
        except BaseException:
            Path(target).unlink(missing_ok=True)  # no half file
            raise
        self.stderr.write(
            ngettext("%(count)d record written to %(path)s.", "%(count)d records written to %(path)s.", count)
            % {"count": count, "path": target}
        )


class StandardOutput:
    """A command's standard output as a binary stream (``call_command(stdout=...)`` included): the
    bytes go to its buffer when it has one, else as text; no byte order mark (files keep it, for
    Excel; a pipe does not want it)."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.buffer = getattr(stdout, "buffer", None)
        self.started = False
        if self.buffer is not None:
            stdout.flush()

    def write(self, data):
        if not self.started:
            data = data.removeprefix(codecs.BOM_UTF8)
            self.started = True
        if self.buffer is not None:
            self.buffer.write(data)
            self.buffer.flush()
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
