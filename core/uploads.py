"""Uploaded files: what a file is, by its content, and whether a kind of upload may be one.

Invariants and how they hold:
- A file's type is read from its bytes (magic numbers, the ZIP directory, a text decode), never
  from the browser's Content-Type, which the client chooses freely. Its name must also end in an
  extension of that type: the name is what a downloader's system opens it with.
- Text is text: no NUL byte anywhere, the whole file decodes as UTF-8 (a BOM allowed) or GBK, and
  it carries no HTML or XML markup (an `.html` or `.svg` renamed to `.csv` is still markup).
- Each kind of upload (sample, proof, evidence) has its list of allowed types and a size limit,
  read from settings at validation time (defaults below, `config/settings_uploads.py`).
- Nothing here serves a file: downloads go through permission-checked views that answer
  `attachment`, `application/octet-stream` and `nosniff` (`portal/downloads.py`).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

CHUNK = 1024 * 1024
HEAD = 8192

PDF = "pdf"
PNG = "png"
JPEG = "jpeg"
XLSX = "xlsx"
ZIP = "zip"
PARQUET = "parquet"
TEXT = "text"


@dataclass(frozen=True)
class FileType:
    label: str
    extensions: tuple[str, ...]


TYPES: dict[str, FileType] = {
    PDF: FileType("PDF", (".pdf",)),
    PNG: FileType("PNG", (".png",)),
    JPEG: FileType("JPEG", (".jpg", ".jpeg")),
    XLSX: FileType("XLSX", (".xlsx",)),
    ZIP: FileType("ZIP", (".zip",)),
    PARQUET: FileType("Parquet", (".parquet",)),
    TEXT: FileType("CSV/TXT/JSON", (".csv", ".tsv", ".txt", ".json")),
}


@dataclass(frozen=True)
class UploadKind:
    what: Any  # lazy text: "sample", "proof of source", "evidence"
    types_setting: str
    default_types: tuple[str, ...]
    limit_setting: str
    default_limit: int


MB = 1024 * 1024
KINDS: dict[str, UploadKind] = {
    "sample": UploadKind(
        _("sample"),
        "UPLOAD_SAMPLE_TYPES",
        (TEXT, XLSX, ZIP, PARQUET, PDF),
        "REGISTRY_SAMPLE_MAX_BYTES",
        200 * MB,
    ),
    "proof": UploadKind(
        _("proof of source"),
        "UPLOAD_PROOF_TYPES",
        (PDF, PNG, JPEG, TEXT),
        "UPLOAD_PROOF_MAX_BYTES",
        10 * MB,
    ),
    "evidence": UploadKind(
        _("evidence"),
        "UPLOAD_EVIDENCE_TYPES",
        (PDF, JPEG, PNG),
        "UPLOAD_EVIDENCE_MAX_BYTES",
        10 * MB,
    ),
}

# What a refused file is, for the message (types that are never allowed).
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"#!", "a script"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
)
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta|link|style|\?xml)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detected:
    type: str | None  # a key of TYPES, or None: not a type this registry accepts at all
    description: str  # what it is, for a message


def _read_head(file: IO[bytes]) -> bytes:
    file.seek(0)
    head = file.read(HEAD)
    file.seek(0)
    return head


def _zip_type(file: IO[bytes]) -> Detected:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return Detected(None, "a damaged ZIP archive")
    finally:
        file.seek(0)
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return Detected(XLSX, "an XLSX workbook")
    if "[Content_Types].xml" in names:
        return Detected(None, "an Office document other than XLSX")
    return Detected(ZIP, "a ZIP archive")


def _is_parquet(file: IO[bytes]) -> bool:
    try:
        file.seek(-4, 2)
        tail = file.read(4)
    except OSError:
        return False
    finally:
        file.seek(0)
    return tail == b"PAR1"


def _decodes(file: IO[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    file.seek(0)
    try:
        while chunk := file.read(CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def detect(file: IO[bytes]) -> Detected:
    """What the file is by its content. The file is left at its start."""
    head = _read_head(file)
    if head.startswith(b"%PDF-"):
        return Detected(PDF, "a PDF document")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detected(PNG, "a PNG image")
    if head.startswith(b"\xff\xd8\xff"):
        return Detected(JPEG, "a JPEG image")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(file)
    if head.startswith(b"PAR1") and _is_parquet(file):
        return Detected(PARQUET, "a Parquet file")
    for signature, description in _KNOWN_OTHERS:
        if head.startswith(signature):
            return Detected(None, description)
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if not (_decodes(file, "utf-8-sig") or _decodes(file, "gbk")):
        return Detected(None, "binary data of an unknown type")
    if body.lstrip().startswith(b"<") or _MARKUP.search(head):
        return Detected(None, "HTML or XML markup (such as SVG)")
    return Detected(TEXT, "text")


def _human(size: int) -> str:
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def _one_of(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def allowed_types(kind: str) -> list[str]:
    spec = KINDS[kind]
    configured = getattr(settings, spec.types_setting, spec.default_types)
    return [name for name in configured if name in TYPES]


def size_limit(kind: str) -> int:
    spec = KINDS[kind]
    return int(getattr(settings, spec.limit_setting, spec.default_limit))


def accept_attribute(kind: str) -> str:
    """The file input's `accept` list: a hint for the browser's picker, not a check."""
    return ",".join(ext for name in allowed_types(kind) for ext in TYPES[name].extensions)


@deconstructible
class UploadValidator:
    """Refuses an upload over the kind's size limit, or not of one of its allowed types by content
    and name. Raises a ValidationError with one message (the form puts it on its field)."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown upload kind {kind!r}")
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadValidator) and other.kind == self.kind

    def __call__(self, upload: Any) -> None:
        spec = KINDS[self.kind]
        limit = size_limit(self.kind)
        if upload.size > limit:
            raise ValidationError(
                _("The %(what)s file is larger than %(limit)s (%(size)s bytes)."),
                code="too_large",
                params={"what": spec.what, "limit": _human(limit), "size": upload.size},
            )
        allowed = allowed_types(self.kind)
        labels = _one_of([TYPES[name].label for name in allowed])
        extension = PurePath(upload.name or "").suffix.lower()
        named = [name for name in allowed if extension in TYPES[name].extensions]
        if not named:
            raise ValidationError(
                _("The %(what)s must be a %(types)s file."),
                code="file_type",
                params={"what": spec.what, "types": labels},
            )
        file = getattr(upload, "file", upload)
        detected = detect(file)
        if detected.type not in named:
            raise ValidationError(
                _("The file's content is not a %(type)s file. It is %(detected)s."),
                code="file_content",
                params={"type": TYPES[named[0]].label, "detected": detected.description},
            )
