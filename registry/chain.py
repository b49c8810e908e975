"""The journal's hash chain: canonical form of a row, its hash, and the walk that checks a stream.

Pure Python (no Django), so that the format can be read, tested and re-implemented on its own:
a court or an auditor years from now needs only this file and a dump of the table.

**Streams.** Every journal row belongs to one stream: `asset:<id>` for rows about an asset, else
`<subject_type>:<subject_id>` (`organisation:7`, `calendar:2026-10-01`, `api_key:Ab12Cd34`). A
stream is a chain of its own, numbered 1, 2, 3, … (`seq`), so that writers of different assets
never wait for each other; the writer (`registry.journal`) numbers a stream under the row lock of
its head (`registry_journalhead`: stream → last seq, last hash, last row id).

**Format (version 1, frozen: rows written under it must verify forever; a new format needs a new
column saying which one a row uses).**

    hash = sha256( prev_hash || canonical(content) ), lowercase hex

- `prev_hash` is the previous row's `hash` in the stream as 64 ASCII hex digits, and for the first
  row (seq 1) sixty-four `0` (`GENESIS`);
- `content` is the object of the row's recorded fields (`CONTENT_FIELDS`): `seq`, `stream`,
  `event_type`, `occurred_at`, `actor_id`, `actor_label`, `asset_id`, `subject_type`,
  `subject_id`, `subject_label`, `reason`, `payload`; the database id is not part of it;
- `canonical` is JSON with the keys of every object sorted, no whitespace (`,` and `:`), non-ASCII
  characters as themselves, encoded as UTF-8; `occurred_at` as ISO 8601 in UTC with microseconds
  (`2026-06-09T01:30:00.000000+00:00`); numbers in the payload as the shortest text of their value,
  a float with an integral value as that integer (`1.0` → `1`, `1e+20` → `100000000000000000000`),
  because PostgreSQL's jsonb keeps the value of a number, not how it was written.

**What the walk finds** (`StreamWalk`: a stream's head, then its rows in seq order): a row
whose content no longer gives its hash (*changed*); a gap in the numbering, or a head ahead of the
last row (*deleted*); a second row with a seq, a row that does not link to the one before it,
a row id lower than its predecessor's, rows beyond the head or without one (*inserted* out of
order). The first problem of a stream is reported with the row's id; the rest of that stream is
not judged further.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
CONTENT_FIELDS = (
    "seq",
    "stream",
    "event_type",
    "occurred_at",
    "actor_id",
    "actor_label",
    "asset_id",
    "subject_type",
    "subject_id",
    "subject_label",
    "reason",
    "payload",
)

CHANGED = "changed"
DELETED = "deleted"
INSERTED = "inserted"


def stream_for(*, asset_id: int | None, subject_type: str, subject_id: str) -> str:
    """The stream a row belongs to: its asset's, else its subject's."""
    if asset_id is not None:
        return f"asset:{asset_id}"
    return f"{subject_type}:{subject_id}"


def timestamp(value: dt.datetime) -> str:
    """`occurred_at` as hashed: UTC, microseconds (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _number(value: float) -> float | int:
    if value.is_integer():
        # repr() is what json wrote; its decimal value is what jsonb keeps and gives back.
        return int(Decimal(repr(value)))
    return value


_SCALARS = frozenset({str, int, bool, type(None)})
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _normalise(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        if all(type(item) in _SCALARS for item in value.values()):
            return value  # the common flat payload: nothing to rewrite
        return {key: _normalise(item) for key, item in value.items()}
    if kind is float:
        return _number(value)
    if kind is list or kind is tuple:
        return [_normalise(item) for item in value]
    return value


def canonical(content: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a row's content (see the module docstring)."""
    document = {name: content[name] for name in CONTENT_FIELDS}
    occurred_at = document["occurred_at"]
    if isinstance(occurred_at, dt.datetime):
        document["occurred_at"] = timestamp(occurred_at)
    document["payload"] = _normalise(document["payload"])
    text = _ENCODER.encode(document)
    # surrogatepass: a lone surrogate must not make hashing the point of failure.
    return text.encode("utf-8", "surrogatepass")


def row_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content)).hexdigest()


@dataclasses.dataclass(frozen=True)
class Problem:
    """The first thing wrong with a stream: what, at which row (None: no row left to name)."""

    stream: str
    kind: str
    row_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"row {self.row_id}" if self.row_id is not None else "no row"
        return f"{self.stream}: {self.kind} at {where}: {self.detail}"


@dataclasses.dataclass(frozen=True)
class Head:
    """What the writer last wrote to a stream (its row in `registry_journalhead`)."""

    last_seq: int
    last_hash: str
    last_id: int | None


class StreamWalk:
    """Checks one stream against its head: `feed()` its rows in (seq, id) order, then `finish()`.

    Constant memory: it keeps the previous row only. After the first problem it only counts."""

    def __init__(self, stream: str, head: Head | None) -> None:
        self.stream = stream
        self.head = head
        self.rows = 0
        self.problem: Problem | None = None
        self.last_id: int | None = None
        self.last_seq = 0
        self.last_hash = GENESIS

    def _fail(self, kind: str, row_id: int | None, detail: str) -> None:
        if self.problem is None:
            self.problem = Problem(self.stream, kind, row_id, detail)

    def feed(self, row_id: int, prev_hash: str, stored_hash: str, content: Mapping) -> None:
        self.rows += 1
        if self.problem is not None:
            return
        seq = content["seq"]
        expected_stream = stream_for(
            asset_id=content["asset_id"],
            subject_type=content["subject_type"],
            subject_id=content["subject_id"],
        )
        if expected_stream != self.stream:
            self._fail(CHANGED, row_id, f"its asset or subject belongs to {expected_stream}")
        elif row_hash(prev_hash, content) != stored_hash:
            self._fail(CHANGED, row_id, f"seq {seq}: its content does not give its hash")
        elif seq < self.last_seq + 1:
            self._fail(INSERTED, row_id, f"a second row with seq {seq}")
        elif seq > self.last_seq + 1:
            missing = _span(self.last_seq + 1, seq - 1)
            after = f" after row {self.last_id}" if self.last_id is not None else ""
            self._fail(DELETED, row_id, f"seq {missing} missing{after}, before this row")
        elif prev_hash != self.last_hash:
            before = f"row {self.last_id}" if self.last_id is not None else "the stream's start"
            self._fail(
                INSERTED, row_id, f"seq {seq} does not link to {before}: one of them was replaced"
            )
        elif self.last_id is not None and row_id < self.last_id:
            self._fail(INSERTED, row_id, f"seq {seq} has an id below row {self.last_id}'s")
        elif self.head is None:
            self._fail(INSERTED, row_id, "the stream has no head: written outside the journal")
        elif seq > self.head.last_seq:
            self._fail(INSERTED, row_id, f"seq {seq} is beyond the head (seq {self.head.last_seq})")
        if self.problem is None:
            self.last_seq = seq
            self.last_hash = stored_hash
            self.last_id = row_id

    def finish(self) -> Problem | None:
        """The stream's first problem, the end of the stream compared with its head included."""
        head = self.head
        if self.problem is not None or head is None:
            return self.problem
        if self.last_seq < head.last_seq:
            missing = _span(self.last_seq + 1, head.last_seq)
            if head.last_id is not None and head.last_id != self.last_id:
                where = f"the head names row {head.last_id}"
            else:
                where = "the head is ahead"
            self._fail(DELETED, head.last_id, f"seq {missing} missing at the end: {where}")
        elif self.last_hash != head.last_hash or (
            head.last_id is not None and head.last_id != self.last_id
        ):
            self._fail(CHANGED, self.last_id, f"seq {self.last_seq} is not the row the head names")
        return self.problem


def head_without_rows(stream: str, head: Head) -> Problem:
    """A head whose stream has no row left: all of it was deleted."""
    return Problem(
        stream,
        DELETED,
        head.last_id,
        f"seq {_span(1, head.last_seq)} missing: the stream has no row left",
    )


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}..{last}"
