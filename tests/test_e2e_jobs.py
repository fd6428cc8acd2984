"""A job's page in a real Chromium: the progress bar moves while the job runs, without a reload,
and the page shows the report once the job has finished."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.jobs import channel, runner
from otrs_customer_admin.models import Job

pytestmark = pytest.mark.e2e


def expect():
    from playwright.sync_api import expect

    return expect


def test_the_progress_bar_moves_while_the_job_runs(
    logged_in_page, live_server, admin_user, settings, tmp_path, screenshot
):
    settings.MEDIA_ROOT = str(tmp_path)
    job = Job.objects.create(
        kind=Job.Kind.IMPORT,
        model="otrs_customer_admin.customer",
        user=admin_user,
        preview=True,
        input_name="customers.csv",
        state=Job.State.RUNNING,
        started_at=timezone.now() - timedelta(seconds=5),
    )
    # The worker's side: its progress, published through the job storage as the runner does.
    reporter = channel.Reporter(job)
    reporter("check", 100, 1000)
    reporter.publish()

    page = logged_in_page
    page.goto(f"{live_server.url}{reverse('admin:otrs_customer_admin_job_change', args=[job.pk])}")
    bar = page.locator(".otrs-job-bar")
    expect()(bar).to_have_attribute("style", re.compile(r"width: 10%"))
    page.evaluate("window.otrsNotReloaded = true")
    screenshot(page, "running")

    reporter("check", 600, 1000)
    reporter.publish()
    expect()(bar).to_have_attribute("style", re.compile(r"width: 60%"))
    expect()(page.locator(".otrs-job-progress-text")).to_contain_text("checking: 600 of 1,000 rows")
    expect()(page.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "60")
    assert page.evaluate("window.otrsNotReloaded") is True

    job.report = {"rows": 1000, "created": 0, "updated": 0, "unchanged": 1000, "problems": [], "preview": []}
    runner.finish(job, Job.State.SUCCEEDED, "Checked, nothing written yet: 0 created, 0 updated, 1000 unchanged.")
    # Finished: the page reloads itself and shows the report.
    expect()(page.locator(".otrs-job-state")).to_have_text("succeeded")
    expect()(page.locator(".otrs-import-nothing")).to_be_visible()
    expect()(bar).to_have_attribute("style", re.compile(r"width: 100%"))
    screenshot(page, "finished")
