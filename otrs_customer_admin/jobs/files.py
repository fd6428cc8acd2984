"""A job's files in the job storage (``JOB_STORAGE``, a storage alias): its upload, its result, its
progress and its Cancel, under ``otrs-customer-admin-jobs/<job id>/``. Names are made here, never
taken from a browser, and go through Django's storage API so that web and worker machines can share
them (a shared disk, S3, ...)."""

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import PurePosixPath

from django.core.files.base import ContentFile, File
from django.core.files.storage import storages

from ..conf import settings

ROOT = "otrs-customer-admin-jobs"
# Uploads are copied to a local temporary file in pieces of this size when the storage has no path.
COPY_CHUNK = 1024 * 1024


def job_storage():
    return storages[settings.JOB_STORAGE]


def job_file(job, name):
    """The storage name of the job's file ``name`` ("upload.csv", "progress.json", ...)."""
    return str(PurePosixPath(ROOT) / str(job.pk) / name)


def save_file(job, name, content):
    """Store ``content`` (bytes or a file) as the job's ``name``, replacing what was there; returns
    the storage name."""
    storage = job_storage()
    wanted = job_file(job, name)
    if storage.exists(wanted):
        storage.delete(wanted)
    content = ContentFile(content) if isinstance(content, bytes) else File(content)
    stored = storage.save(wanted, content)
    if stored != wanted:  # another writer came between: keep one copy, under the wanted name
        storage.delete(stored)
    return wanted


def read_file(name):
    """The bytes of a stored file, or None when it is not there (deleted, expired)."""
    storage = job_storage()
    try:
        with storage.open(name, "rb") as file:
            return file.read()
    except (FileNotFoundError, OSError):
        return None


def delete_file(name):
    if name:
        storage = job_storage()
        if storage.exists(name):
            storage.delete(name)


def delete_job_files(job, keep=()):
    """Everything the job stored (its upload, result, progress) but the storage names ``keep``,
    as when the job is deleted."""
    storage = job_storage()
    directory = job_file(job, "")
    try:
        _directories, names = storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError, OSError):
        names = []
    for name in names:
        if job_file(job, name) not in keep:
            storage.delete(job_file(job, name))
    for name in (job.input_file, job.result_file):
        if name not in keep:
            delete_file(name)


@contextmanager
def local_copy(name, suffix=""):
    """A path on this machine holding the stored file ``name``: the storage's own path when it has
    one (a local disk), else a temporary copy, deleted afterwards."""
    storage = job_storage()
    try:
        yield storage.path(name)
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy, COPY_CHUNK)
        copy.flush()
        yield copy.name


@contextmanager
def result_writer(job, name):
    """A local binary file to write the job's result into; stored as the job's ``name`` when the
    block ends without an exception (a failed export leaves no half file)."""
    with tempfile.TemporaryFile() as file:
        yield file
        file.seek(0)
        save_file(job, name, file)
