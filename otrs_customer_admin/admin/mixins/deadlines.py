"""The admin of SLAs and calendars: a save that moves deadlines gives the open tickets new ones.

Without a jobs worker the model's save recomputes them in the request, as it does anywhere. Where
jobs run, the save leaves them to a recompute job (``jobs.start_recompute``), so that a calendar
of a hundred thousand open tickets saves at once; the message links to the job's page.
"""

from django.contrib import messages
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ...admin_urls import job_page_url
from ...bidi import Phrase
from ...jobs import jobs_available, start_recompute


class RecomputeDeadlinesMixin:
    # The keyword of ``start_recompute`` the saved record is: "sla" or "calendar".
    recompute_scope = None

    def save_model(self, request, obj, form, change):
        background = obj.moves_deadlines() and jobs_available()
        obj.save(recompute=not background)
        if background:
            job = start_recompute(request.user, **{self.recompute_scope: obj})
            text = Phrase(_("The open tickets of %(record)s get their new deadlines in the background."), record=obj)
            url = job_page_url(self.admin_site, job)
            if url:
                messages.info(request, format_html('{} <a href="{}">{}</a>', text.html(), url, _("See the job.")))
            else:
                messages.info(request, text.html())
