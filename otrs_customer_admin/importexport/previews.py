"""The uploads the admin's import keeps between the preview and the confirm.

The preview stores the uploaded file in a directory of the package's own, under a random name
of a fixed pattern, and gives the browser a signed token naming it together with everything the
confirm step needs: the user, the model, the format, the resource and the import form's
defaults. The confirm step reads only what a valid token of the same user names; nothing the
browser sends becomes a path. Uploads nobody confirms are deleted after ``IMPORT_PREVIEW_TTL``
by the next import, or by ``manage.py clear_import_previews``.
"""

import os
import re
import stat
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.core import signing
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from import_export.tmp_storages import BaseStorage

from ..conf import settings

DIRECTORY_NAME = "otrs-customer-admin-import-previews"
FILE_NAME = re.compile(r"preview-[0-9a-f]{32}\.upload")
# Tokens signed for this and nothing else: another use of the SECRET_KEY cannot make one.
TOKEN_SALT = "otrs_customer_admin.importexport.previews"


def directory():
    """The previews' directory: in the system's temporary directory, one per system user."""
    name = f"{DIRECTORY_NAME}-{os.getuid()}" if hasattr(os, "getuid") else DIRECTORY_NAME
    return Path(tempfile.gettempdir()) / name


def own_directory():
    """The previews' directory, made if need be, and refused if it is not this user's own
    (a shared temporary directory lets anyone make a directory or link of that name)."""
    path = directory()
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise PermissionError(f"{path} is not a directory of this process's user; remove it.")
    return path


class PreviewUpload(BaseStorage):
    """django-import-export's temporary storage, kept to the previews' directory and file names."""

    def save(self, data):
        self.name = f"preview-{uuid.uuid4().hex}.upload"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(own_directory() / self.name, flags, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data if isinstance(data, bytes) else data.encode())

    def read(self):
        # The package's formats read bytes themselves (they recognise the encodings).
        with open(self.path(), "rb") as file:
            return file.read()

    def remove(self):
        self.path().unlink(missing_ok=True)

    def path(self):
        if not isinstance(self.name, str) or not FILE_NAME.fullmatch(self.name):
            raise FileNotFoundError(f"{self.name!r} is not the name of an import preview's upload.")
        return directory() / self.name


def clear_expired(now=None):
    """Delete the uploads older than IMPORT_PREVIEW_TTL; return how many were deleted."""
    folder = directory()
    if not folder.is_dir():
        return 0
    oldest = (time.time() if now is None else now) - settings.IMPORT_PREVIEW_TTL.total_seconds()
    removed = 0
    for entry in os.scandir(folder):
        if not FILE_NAME.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < oldest:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            pass  # confirmed or cleared by someone else meanwhile
    return removed


@dataclass(frozen=True)
class Preview:
    """What the confirm step of one preview may do: which stored upload, read how, for whom."""

    user: str  # the primary key of the user who made the preview
    model: str  # "app_label.model_name" of the admin that made it
    file: str  # the stored upload's name
    original_file_name: str
    format: int  # positions in the admin's import formats and resources
    resource: int
    options: dict = field(default_factory=dict)  # the import form's defaults

    def sign(self):
        return signing.dumps(asdict(self), salt=TOKEN_SALT, compress=True)

    @classmethod
    def from_token(cls, token, *, user, model):
        """The preview a token names, if it is genuine, the user's own, of this model and not expired."""
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=settings.IMPORT_PREVIEW_TTL)
        except signing.SignatureExpired:
            raise PreviewRefused(expired=True) from None
        except signing.BadSignature:
            raise PreviewRefused from None
        try:
            preview = cls(**data)
        except TypeError:
            raise PreviewRefused from None
        if preview.user != str(user.pk) or preview.model != model or not FILE_NAME.fullmatch(preview.file):
            raise PreviewRefused
        return preview


class PreviewRefused(Exception):
    """A confirm whose token is not a genuine, current preview of the user's own."""

    def __init__(self, expired=False):
        self.expired = expired
        super().__init__(self.message)

    @property
    def message(self):
        if self.expired:
            now = timezone.now()
            return _(
                "This preview has expired: a preview can be confirmed for %(duration)s. Upload the file again."
            ) % {"duration": timesince(now - settings.IMPORT_PREVIEW_TTL, now)}
        # Forged, another user's, or another model's: said alike, so nothing is given away.
        return _(
            "This confirmation does not come from a preview of yours, so nothing was imported. "
            "Upload the file again to see its preview."
        )
