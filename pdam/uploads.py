"""Uploads are refused by size while they arrive, not after they are stored.

`SizeLimitUploadHandler` runs first among the upload handlers. It passes each file's chunks on to
Django's memory and temporary-file handlers until the file passes its limit (the setting that
`UPLOAD_FIELD_MAX_BYTES` names for the field, else `UPLOAD_MAX_BYTES`); from then on the bytes are
dropped as they are read, so an oversize file never fills memory or disk. The form then gets a
`TooLargeUpload` in its place, whose `size` is over the limit, and refuses it with the message it
gives for any file too large.
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class TooLargeUpload(UploadedFile):
    """Stands for a file that was dropped for its size: no content, `size` past the limit."""

    def __init__(self, *, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


def upload_limit(field_name: str) -> int:
    setting = getattr(settings, "UPLOAD_FIELD_MAX_BYTES", {}).get(field_name, "UPLOAD_MAX_BYTES")
    return int(getattr(settings, setting))


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.limit = upload_limit(field_name)
        self.seen = 0
        self.dropped = False

    def receive_data_chunk(self, raw_data, start):
        self.seen += len(raw_data)
        if self.seen > self.limit:
            self.dropped = True
            return None  # later handlers never get this chunk or the ones after it
        return raw_data

    def file_complete(self, file_size):
        if not self.dropped:
            return None  # the next handler holds the file
        return TooLargeUpload(name=self.file_name, content_type=self.content_type, size=self.seen)
