"""The directory sync in the admin: its status on the customer list, Sync now, Test connection,
and the read-only list of sync runs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ..admin_urls import admin_url, job_page_url, may_change_people, site_admin
from ..bidi import Phrase, isolate
from ..datasources import SyncError, get_data_source, syncable_data_sources
from ..directory_sync import DETAILS_KEPT, PROBLEMS, check_connection, counts_text, run_sync, word_labels
from ..jobs import jobs_available, start_sync
from ..models import SyncRun
from .mixins import DatabaseBusyMixin, RecordPageMixin

OUTCOME_LABELS = {
    SyncRun.Outcome.RUNNING: "info",
    SyncRun.Outcome.SUCCEEDED: "success",
    SyncRun.Outcome.FAILED: "danger",
    SyncRun.Outcome.STOPPED: "warning",
    SyncRun.Outcome.ABANDONED: "warning",
}


def sample_table(entries):
    """Test connection's first entries of a search as unfold's table component takes them: a row per
    entry (its DN, the fields as the sync maps them, the attributes missing, the problems)."""

    def lines(texts, css_class):
        return format_html_join("", '<div class="{}">{}</div>', ((css_class, text) for text in texts)) or "—"

    return {
        "headers": [_("Entry"), _("Fields"), _("Attributes missing"), _("Problems")],
        "rows": [
            [
                dn,
                format_html(
                    '<dl class="otrs-sync-fields">{}</dl>',
                    format_html_join("", "<dt>{}</dt><dd>{}</dd>", values.items()),
                ),
                {"content": lines(missing, "otrs-sync-missing"), "class": "text-subtle"},
                lines(problems, "otrs-sync-problem text-red-700 dark:text-red-400"),
            ]
            for dn, values, missing, problems in entries
        ],
    }


class DirectorySyncMixin(RecordPageMixin):
    """Adds the sync of the directory sources to the customer list (status, Sync now, Test connection)."""

    list_before_template = "otrs_customer_admin/sync_status.html"
    sync_test_template = "otrs_customer_admin/sync_test.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("sync/<str:source>/", wrap(self.sync_now_view), name=self.url_name("sync")),
            path("sync/<str:source>/test/", wrap(self.sync_test_view), name=self.url_name("sync_test")),
        ]
        return own + super().get_urls()

    def has_sync_permission(self, request):
        # Model permissions, not per record: a directory's records themselves are never changeable.
        return may_change_people(self.admin_site, request)

    def sync_statuses(self, request):
        """For each source that syncs: its last run and the URLs of its buttons."""
        statuses = []
        for source in syncable_data_sources():
            last = SyncRun.objects.filter(source=source.key, dry_run=False).select_related("user").first()
            statuses.append(
                {
                    "source": source,
                    "last": last,
                    # Counts of a run that did not succeed are not what the records are.
                    "counts": counts_text(last.counts) if last and last.outcome == SyncRun.Outcome.SUCCEEDED else "",
                    "sync_url": self.admin_url("sync", source.key),
                    "test_url": self.admin_url("sync_test", source.key),
                }
            )
        return statuses

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_sync_permission(request):
            extra_context["sync_statuses"] = self.sync_statuses(request)
            extra_context["sync_runs_url"] = admin_url(self.admin_site, SyncRun, "changelist")
        return super().changelist_view(request, extra_context)

    def syncing_source(self, request, key):
        if not self.has_sync_permission(request):
            raise PermissionDenied
        source = get_data_source(key)
        if source is None or not source.can_sync:
            raise Http404(_("No data source %(key)s syncs.") % {"key": key})
        return source

    def sync_now_view(self, request, source):
        return require_POST(self._sync_now)(request, source)

    def _sync_now(self, request, key):
        source = self.syncing_source(request, key)
        if jobs_available():
            job = start_sync(request.user, source.key)
            queued = _("The sync of %(source)s is queued; this page shows its progress.")
            messages.info(request, queued % {"source": source})
            return HttpResponseRedirect(job_page_url(self.admin_site, job) or self.admin_url("changelist"))
        else:
            try:
                report = run_sync(source, user=request.user)
            except SyncError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, self.synced_message(source, report))
                for _model_key, problem in report.problems:
                    messages.warning(request, problem)
        return HttpResponseRedirect(self.admin_url("changelist"))

    def synced_message(self, source, report):
        """ "Directory synced. Customers: 3 created…", and when entries were skipped or conflicted,
        a link to the run's page, which says why."""
        message = Phrase(_("%(source)s synced. %(summary)s"), source=source, summary=report.short_summary()).html()
        problems = sum(report.total(word) for word in DETAILS_KEPT)
        if not problems or report.run is None or site_admin(self.admin_site, SyncRun) is None:
            return message
        link = ngettext("Why one entry was not synced", "Why %(count)d entries were not synced", problems) % {
            "count": problems
        }
        url = admin_url(self.admin_site, SyncRun, "change", report.run.pk)
        return format_html('{} <a href="{}" class="otrs-sync-details-link underline">{}</a>', message, url, link)

    def sync_test_view(self, request, source):
        return require_POST(self._sync_test)(request, source)

    def _sync_test(self, request, key):
        source = self.syncing_source(request, key)
        report = check_connection(source)
        context = {
            "title": _("Test connection: %(source)s") % {"source": source},
            "source": source,
            "report": report,
            "searches": [(search, sample_table(search.entries)) for search in report.searches],
            "back_url": self.admin_url("changelist"),
        }
        return self.render_page(request, self.sync_test_template, context)


class SyncRunAdmin(DatabaseBusyMixin, ModelAdmin):
    """Every sync run, read-only: what the sync did, when, and why it failed."""

    list_display = ["started_at", "source_label", "outcome_badge", "dry_run", "counts_summary", "finished_at", "user"]
    list_filter = ["source", "outcome", "dry_run"]
    list_select_related = ["user"]
    fields = [
        "source",
        "dry_run",
        "outcome",
        "started_at",
        "finished_at",
        "user",
        "host",
        "pid",
        "counts",
        "message",
        "details_list",
    ]
    readonly_fields = fields
    date_hierarchy = "started_at"

    @display(description=gettext_lazy("Data source"), ordering="source")
    def source_label(self, obj):
        return obj.source_label

    @display(description=gettext_lazy("Outcome"), ordering="outcome", label=OUTCOME_LABELS)
    def outcome_badge(self, obj):
        return obj.outcome, obj.get_outcome_display()

    @display(description=gettext_lazy("Counts"))
    def counts_summary(self, obj):
        return counts_text(obj.counts)

    @display(description=gettext_lazy("Entries not synced"))
    def details_list(self, obj):
        """The first skipped entries and conflicts: DN and reason, each isolated."""
        labels = word_labels()
        sections = []
        if obj.details.get(PROBLEMS):
            items = format_html_join(
                "",
                '<li class="otrs-sync-detail">{}</li>',
                ((isolate(entry["why"]),) for entry in obj.details[PROBLEMS]),
            )
            sections.append(
                format_html(
                    '<div class="otrs-sync-details" data-details="{}"><p>{}</p><ul>{}</ul></div>',
                    PROBLEMS,
                    _("Problems of the source's maps"),
                    items,
                )
            )
        for word in DETAILS_KEPT:
            entries = obj.details.get(word, [])
            if not entries:
                continue
            total = sum(counts.get(word, 0) for counts in obj.counts.values()) or len(entries)
            heading = _("%(word)s: the first %(shown)d of %(total)d") % {
                "word": labels[word],
                "shown": len(entries),
                "total": total,
            }
            items = format_html_join(
                "",
                '<li class="otrs-sync-detail"><code>{}</code>: {}</li>',
                ((isolate(entry["dn"]), isolate(entry["why"])) for entry in entries),
            )
            sections.append(
                format_html(
                    '<div class="otrs-sync-details" data-details="{}"><p>{}</p><ul>{}</ul></div>', word, heading, items
                )
            )
        return format_html_join("", "{}", ((section,) for section in sections)) if sections else "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
