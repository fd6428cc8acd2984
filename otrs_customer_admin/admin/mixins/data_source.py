"""The data source of a record: OTRS's "Select Data Source" step before the add form
when several sources take new records, and the source shown read-only once chosen."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.decorators import display

from ...datasources import writable_data_sources
from ..forms import SelectDataSourceForm
from .pages import RecordPageMixin

SOURCE_LABEL = "data_source_label"


class DataSourceStepMixin(RecordPageMixin):
    select_source_template = "otrs_customer_admin/select_data_source.html"

    def add_view(self, request, form_url="", extra_context=None):
        sources = writable_data_sources()
        chosen = request.GET.get("data_source")
        if request.method == "GET" and len(sources) > 1 and chosen not in {source.key for source in sources}:
            if not self.has_add_permission(request):
                raise PermissionDenied
            return self.select_data_source_view(request, sources)
        return super().add_view(request, form_url, extra_context)

    def select_data_source_view(self, request, sources):
        form = SelectDataSourceForm(sources=sources, initial={"data_source": sources[0].key})
        # Keep the other prefill parameters (e.g. ?customer=) for the form step.
        kept = [(key, value) for key, value in request.GET.items() if key != "data_source"]
        context = {
            "title": _("Add %(name)s: select data source") % {"name": self.opts.verbose_name},
            "form": form,
            "kept_parameters": kept,
        }
        return self.render_page(request, self.select_source_template, context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        writable = [source.key for source in writable_data_sources()]
        if initial.get("data_source") not in writable and writable:
            initial["data_source"] = writable[0]
        return initial

    def get_fieldsets(self, request, obj=None):
        # A record's source is chosen when it is added; moving it is not an edit.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (
                title,
                {**options, "fields": [SOURCE_LABEL if name == "data_source" else name for name in options["fields"]]},
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, SOURCE_LABEL] if obj is not None else fields

    @display(description=gettext_lazy("Data source"), ordering="data_source")
    def data_source_label(self, obj):
        return obj.source_label
