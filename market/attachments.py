"""Attachment checks and storage: the type is decided by the file's bytes, never by its name alone."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from market.kernel.errors import InvalidInput, TooLarge

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"

# extension -> (content type, magic prefix)
ALLOWED: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".ppt": ("application/vnd.ms-powerpoint", _OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
}


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that passed the checks, ready to store."""

    filename: str
    content_type: str
    size: int
    sha256: str


def clean_filename(raw: str) -> str:
    """The base name, NFC-normalised, without path parts or control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if not name:
        raise InvalidInput("error.empty_file_name", field="file")
    stem, dot, ext = name.rpartition(".")
    return (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]


def check(filename: str, content: bytes, *, max_bytes: int) -> CheckedFile:
    """Type by extension and matching magic bytes; size within the limit."""
    name = clean_filename(filename)
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise InvalidInput("error.file_type_not_allowed", field="file", allowed=allowed)
    if not content:
        raise InvalidInput("error.empty_file", field="file")
    if len(content) > max_bytes:
        limit = _size(max_bytes)
        raise TooLarge("error.file_larger_than", field="file", limit=limit)
    content_type, magic = ALLOWED[ext]
    if not content.startswith(magic):
        raise InvalidInput("error.file_content_mismatch", field="file")
    return CheckedFile(name, content_type, len(content), hashlib.sha256(content).hexdigest())


def _size(n: int) -> str:
    """A byte count as people read it: 10 MB, 512 KB, 300 B."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def path_for(root: Path, sha256: str) -> Path:
    """Where a blob with this hash lives."""
    return root / sha256[:2] / sha256


def store(root: Path, checked: CheckedFile, content: bytes) -> Path:
    """Write the blob atomically (content-addressed, so a second copy of the same bytes costs nothing)."""
    target = path_for(root, checked.sha256)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
