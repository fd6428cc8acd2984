"""The example site's settings for bench/import_job_bench.py: its database task queue, with the job
storage in the bench's temporary folder (``BENCH_MEDIA_ROOT``)."""

import os

from example_project.settings import *  # noqa: F403

MEDIA_ROOT = os.environ["BENCH_MEDIA_ROOT"]
