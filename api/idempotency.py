"""Idempotent POSTs: the `Idempotency-Key` request header (IETF httpapi draft "The
Idempotency-Key HTTP Header Field"; the convention of Stripe and PayPal).

A bank whose connection drops after it sent a filing cannot tell whether the registry filed it.
With a key it sends the same request again and gets the first answer instead of a second pledge.
`api.base.IdempotentPosts` calls this module for every POST of the API.

Rules, and how they hold:

- **Executed once.** The first request with a key inserts the key's row (no answer yet) inside
  the transaction that holds the request's writes, and writes its answer into that row before the
  transaction commits: row, answer and writes commit together or not at all. A duplicate sent
  while the first still runs inserts the same (owner, key): on PostgreSQL the unique index makes
  that INSERT wait until the first transaction ends; on SQLite the duplicate's IMMEDIATE
  transaction already waited for the write lock. It then finds the committed row and replays it
  (or, if the first rolled back, finds none and runs).
- **Replay.** The same owner and key with the same method, path and canonical body get the stored
  status, content type and body, byte for byte, with `Idempotent-Replayed: true`; the view does
  not run. The canonical body is the parsed body as JSON with sorted keys (so key order and
  spacing do not matter; form fields as lists, uploaded files by their SHA-256).
- **Misuse.** The same key with another method, path or body: 422 `idempotency_key_reused`.
- **What uses up a key.** Only a success (status below 400). A refusal (4xx) wrote nothing (the
  request's transaction rolls back), and a server error (5xx) is rolled back here if nobody else
  did, so after either the key is free again: the caller may correct the request and send it
  with the same key. (Stripe stores validation refusals too; here a refused request changed
  nothing, so repeating it is as safe as replaying it, and a rolled back row could not be kept.)
- **Whose keys.** An API key's organisation (every key of one organisation shares the space) or a
  signed-in user. Anonymous callers (certificate verification, which stores nothing) have no
  space: their key is checked for its form and otherwise ignored.
- **How long.** Rows are kept at least `RETENTION` (48 hours; the draft and Stripe promise 24) and
  removed by `idempotency_prune`, which the daily tick calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.files import File
from django.db import IntegrityError, router, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError

from api.authentication import ApiClient
from api.models import IdempotencyKey
from core import clock

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST"})
MAX_LENGTH = 255
RETENTION = dt.timedelta(hours=48)
MIN_RETENTION = dt.timedelta(hours=24)  # what the API promises (README, "Idempotent writes")

CODE_REUSED = "idempotency_key_reused"
CODE_IN_USE = "idempotency_key_in_use"


class IdempotencyKeyReused(APIException):
    """The key was first used for another request (method, path or body)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = CODE_REUSED
    default_detail = (
        "This Idempotency-Key was already used for a different request (method, path or body). "
        "Use a new key for a new request."
    )


class IdempotencyKeyInUse(APIException):
    """The key's first request has not finished (a row without its answer is visible)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = CODE_IN_USE
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."


class Replay(Exception):
    """Raised instead of running the view: `response` is the stored answer."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(REPLAYED_HEADER)
        self.response = response


@dataclasses.dataclass(frozen=True)
class Owner:
    """Whose key space a request uses: an organisation (API keys) or a user (sessions)."""

    organisation_id: int | None
    user_id: int | None
    label: str

    def lookup(self) -> dict[str, int]:
        if self.organisation_id is not None:
            return {"organisation_id": self.organisation_id}
        assert self.user_id is not None
        return {"user_id": self.user_id}


@dataclasses.dataclass(frozen=True)
class Claim:
    """The key row inserted by the running request (in its transaction)."""

    pk: int
    alias: str


# --- the request ------------------------------------------------------------------------------
def _invalid(message: str) -> ValidationError:
    return ValidationError({HEADER: [message]})


def _unquote(value: str) -> str:
    """The draft sends the key as a Structured Field string (`"abc"`, with `\\"` and `\\\\`
    escapes); Stripe and PayPal send it bare. Both forms name the same key."""
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    inner, chars, index = value[1:-1], [], 0
    while index < len(inner):
        char = inner[index]
        if char == "\\":
            if index + 1 == len(inner) or inner[index + 1] not in '"\\':
                raise _invalid(_('In a quoted key, "\\" may only escape " or \\.'))
            index += 1
            char = inner[index]
        elif char == '"':
            raise _invalid(_('In a quoted key, " must be escaped as \\".'))
        chars.append(char)
        index += 1
    return "".join(chars)


def parse_key(raw: str) -> str:
    """The key a header value names: 1 to 255 printable ASCII characters (space to ~)."""
    key = _unquote(raw.strip())
    if not 1 <= len(key) <= MAX_LENGTH:
        raise _invalid(
            _("The key must have 1 to %(max)d characters; this one has %(length)d.")
            % {"max": MAX_LENGTH, "length": len(key)}
        )
    if not all(" " <= char <= "~" for char in key):
        raise _invalid(
            _("The key may contain only printable ASCII characters (letters, digits, - _ . etc.).")
        )
    return key


def request_key(request: Any) -> str | None:
    """The request's validated key, or None for a method without keys or no header at all."""
    if request.method not in METHODS:
        return None
    raw = request.headers.get(HEADER)
    return None if raw is None else parse_key(raw)


def owner_of(user: Any) -> Owner | None:
    if isinstance(user, ApiClient):
        return Owner(organisation_id=user.organisation.pk, user_id=None, label=user.label)
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return Owner(organisation_id=None, user_id=user.pk, label=user.get_username())
    return None


def _file_sha256(file: File) -> str:
    digest = hashlib.sha256()
    for chunk in file.chunks():  # from the start
        digest.update(chunk)
    file.seek(0)  # the view reads it next
    return digest.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, File):
        return {"file": value.name, "size": value.size, "sha256": _file_sha256(value)}
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} in a request body")


def body_sha256(data: Any) -> str:
    """SHA-256 of the canonical form of a parsed request body (`request.data`)."""
    if hasattr(data, "lists"):  # a QueryDict: form fields and, with multipart, the files
        data = dict(data.lists())
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_json_default)
    except RecursionError as exc:
        raise ParseError(_("JSON nested too deeply.")) from exc
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --- claim, complete, replay ------------------------------------------------------------------
def database() -> str:
    """The database alias of the key rows (the request's transaction must be opened there)."""
    return router.db_for_write(IdempotencyKey)


def _storable_path(path: str) -> str:
    """The path as the row keeps it: a NUL (a `%00` in the URL) cannot be stored in PostgreSQL
    text, and the view may not have refused it yet when the key is claimed."""
    return path.replace("\x00", "\\x00")[:500]


def replay_response(stored: IdempotencyKey) -> HttpResponse:
    assert stored.status_code is not None
    response = HttpResponse(
        bytes(stored.response_body),  # memoryview on PostgreSQL
        status=stored.status_code,
        content_type=stored.content_type or None,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_claim(*, owner: Owner, key: str, method: str, path: str, body_sha256: str) -> Claim:
    """Take `key` for this request, or answer from it: raises `Replay` (the stored answer),
    `IdempotencyKeyReused` (422) or `IdempotencyKeyInUse` (409).

    Runs inside the transaction that will hold the request's writes (`KeyedRequest` opens
    it). On PostgreSQL the INSERT waits while another transaction holds the same key
    uncommitted, and fails once that one commits."""
    alias = database()
    path = _storable_path(path)
    if not transaction.get_connection(alias).in_atomic_block:
        raise RuntimeError("idempotency_claim must run inside the request's transaction")
    try:
        with transaction.atomic(using=alias):
            row = IdempotencyKey.objects.using(alias).create(
                key=key,
                organisation_id=owner.organisation_id,
                user_id=owner.user_id,
                caller_label=owner.label[:300],
                method=method,
                path=path,
                body_sha256=body_sha256,
                created_at=clock.now(),
            )
    except IntegrityError:
        stored = IdempotencyKey.objects.using(alias).filter(key=key, **owner.lookup()).first()
        if stored is None:
            raise  # not the key's index: a bug, not a duplicate
        if stored.status_code is None:
            raise IdempotencyKeyInUse() from None
        if (stored.method, stored.path, stored.body_sha256) != (method, path, body_sha256):
            raise IdempotencyKeyReused() from None
        raise Replay(replay_response(stored)) from None
    return Claim(pk=row.pk, alias=alias)


def _content(response: HttpResponseBase) -> bytes:
    """The answer's bytes. DRF renders its responses after the view returns, outside the
    request's transaction: render now, so the stored bytes are the ones sent."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        response.streaming_content = [content]  # type: ignore[attr-defined]
        return content
    render = getattr(response, "render", None)
    if callable(render):
        render()
    return bytes(response.content)  # type: ignore[attr-defined]


def idempotency_complete(*, claim: Claim, response: HttpResponseBase) -> bool:
    """Store a success in the claimed row (True), or give the key back (False) by marking the
    claim's transaction, the innermost block here, for rollback: the row goes with everything
    the request wrote, so a refusal or a server error commits nothing."""
    if response.status_code >= 400 or transaction.get_rollback(using=claim.alias):
        transaction.set_rollback(True, using=claim.alias)
        return False
    content = _content(response)  # first: rendering sets the Content-Type
    IdempotencyKey.objects.using(claim.alias).filter(pk=claim.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", "")[:200],
        response_body=content,
    )
    return True


class KeyedRequest:
    """One request with a key, from its claim to its commit.

    Its transaction is opened just before the claim (after authentication, permission and rate
    limit: a refused caller holds no key and no lock) and closed as soon as the answer is stored,
    so that what runs after it, the read log's row in particular, is written outside it and
    survives its rollback. The two ends fall in different hooks of DRF's request cycle
    (`api.base.IdempotentPosts`), so the atomic block is entered and left by hand; `end` is
    idempotent and the view's dispatch calls it on every way out."""

    def __init__(self, *, owner: Owner, key: str, method: str, path: str, body_sha256: str):
        self.owner, self.key, self.method, self.path = owner, key, method, path
        self.body_sha256 = body_sha256
        self.claim: Claim | None = None
        self._atomic: transaction.Atomic | None = None

    @property
    def ended(self) -> bool:
        return self._atomic is None

    def begin(self) -> None:
        """Open the transaction and claim the key; raises `Replay`, 422 or 409 (then ended)."""
        atomic = transaction.atomic(using=database())
        atomic.__enter__()  # may fail (database unavailable): then there is nothing to end
        self._atomic = atomic
        try:
            self.claim = idempotency_claim(
                owner=self.owner,
                key=self.key,
                method=self.method,
                path=self.path,
                body_sha256=self.body_sha256,
            )
        except BaseException as exc:
            self.end(exc)
            raise

    def finish(self, response: HttpResponseBase) -> None:
        """Store a success and commit (a refusal or an error: give the key back). Raises the
        database's error if storing or committing fails; the transaction has ended then too."""
        try:
            if self.claim is not None:
                idempotency_complete(claim=self.claim, response=response)
        except BaseException as exc:
            self.end(exc)
            raise
        self.end()

    def end(self, exc: BaseException | None = None) -> None:
        """Leave the transaction: commit, or roll back when `exc` is given or a rollback is
        marked. Once only."""
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        if exc is None:
            atomic.__exit__(None, None, None)
        else:
            atomic.__exit__(type(exc), exc, exc.__traceback__)


# --- housekeeping -----------------------------------------------------------------------------
@transaction.atomic
def idempotency_prune(*, older_than: dt.timedelta) -> int:
    """Delete the keys first received more than `older_than` ago (at least 24 hours, what the
    API promises; the daily tick passes `RETENTION`); returns how many went."""
    if older_than < MIN_RETENTION:
        hours = MIN_RETENTION / dt.timedelta(hours=1)
        raise ValueError(f"Idempotency keys are kept at least {hours:g} hours; got {older_than}.")
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=clock.now() - older_than
    ).delete()
    return deleted
