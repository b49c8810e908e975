"""The journal's chain format (registry.chain): pure Python, a fixed test vector, the number rules
that make a row hash the same before and after PostgreSQL's jsonb, and the walk over a stream."""

import datetime as dt
import hashlib
import subprocess
import sys

import pytest

from registry import chain

BEIJING = dt.timezone(dt.timedelta(hours=8))
CONTENT = {
    "seq": 1,
    "stream": "asset:42",
    "event_type": "asset.created",
    "occurred_at": dt.datetime(2026, 6, 9, 9, 30, tzinfo=BEIJING),
    "actor_id": 7,
    "actor_label": "registrar1 @ 天津数据资产登记评估中心",
    "asset_id": 42,
    "subject_type": "asset",
    "subject_id": "42",
    "subject_label": "港口数据 [SQ202600000001]",
    "reason": "",
    "payload": {"status": "draft", "holder": "91120000103074455X", "score": 88.0, "ratio": 0.25},
}
CANONICAL = (
    '{"actor_id":7,"actor_label":"registrar1 @ 天津数据资产登记评估中心","asset_id":42,'
    '"event_type":"asset.created","occurred_at":"2026-06-09T01:30:00.000000+00:00",'
    '"payload":{"holder":"91120000103074455X","ratio":0.25,"score":88,"status":"draft"},'
    '"reason":"","seq":1,"stream":"asset:42","subject_id":"42",'
    '"subject_label":"港口数据 [SQ202600000001]","subject_type":"asset"}'
)
# Also: printf '%s' "$(printf '0%.0s' {1..64})$CANONICAL" | sha256sum
HASH = "7ea4720af0b22c88cb55919a95ee7172b86c5f3f3d0f44baf54b66de5971cacb"


def test_the_chain_module_imports_no_django():
    # given / when: a fresh interpreter imports the module alone
    code = "import sys, registry.chain; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # then
    assert result.stdout.strip() == "[]"


def test_the_test_vector():
    # given / when / then
    assert chain.canonical(CONTENT).decode() == CANONICAL
    assert chain.row_hash(chain.GENESIS, CONTENT) == HASH
    assert hashlib.sha256(("0" * 64 + CANONICAL).encode()).hexdigest() == HASH


@pytest.mark.parametrize(
    ("written", "read_back"),
    [
        pytest.param(1.0, 1, id="integral-float"),
        pytest.param(1e20, 100000000000000000000, id="big-float"),
        pytest.param(1e300, 10**300, id="huge-float"),
        pytest.param(-0.0, 0, id="negative-zero"),
        pytest.param(0.1, 0.1, id="tenth"),
        pytest.param(1.5e-07, 0.00000015, id="tiny"),
        pytest.param([1.0, {"a": 2.0}], [1, {"a": 2}], id="nested"),
        pytest.param((1, 2), [1, 2], id="tuple"),
    ],
)
def test_a_number_hashes_the_same_as_jsonb_gives_it_back(written, read_back):
    # given / when / then
    assert chain.row_hash(chain.GENESIS, {**CONTENT, "payload": {"x": written}}) == chain.row_hash(
        chain.GENESIS, {**CONTENT, "payload": {"x": read_back}}
    )


def test_every_recorded_field_and_the_previous_hash_count():
    # given
    base = chain.row_hash(chain.GENESIS, CONTENT)
    changes = {
        "seq": 2,
        "stream": "asset:43",
        "event_type": "asset.updated",
        "occurred_at": CONTENT["occurred_at"] + dt.timedelta(microseconds=1),
        "actor_id": None,
        "actor_label": "registrar2",
        "asset_id": 43,
        "subject_type": "objection",
        "subject_id": "43",
        "subject_label": "x",
        "reason": " ",
        "payload": {"status": "draft"},
    }
    assert set(changes) == set(chain.CONTENT_FIELDS)
    # when / then
    for field, value in changes.items():
        assert chain.row_hash(chain.GENESIS, {**CONTENT, field: value}) != base, field
    assert chain.row_hash("1" * 64, CONTENT) != base


def test_the_time_is_hashed_in_utc_whatever_its_zone():
    # given
    utc = CONTENT["occurred_at"].astimezone(dt.UTC)
    naive_utc = utc.replace(tzinfo=None)
    # when / then
    assert chain.row_hash(chain.GENESIS, {**CONTENT, "occurred_at": utc}) == HASH
    assert chain.row_hash(chain.GENESIS, {**CONTENT, "occurred_at": naive_utc}) == HASH


def test_streams():
    assert chain.stream_for(asset_id=5, subject_type="objection", subject_id="9") == "asset:5"
    assert chain.stream_for(asset_id=None, subject_type="calendar", subject_id="2026-10-10") == (
        "calendar:2026-10-10"
    )


def _chain(count: int, stream: str = "asset:42") -> list[tuple[int, str, str, dict]]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, count + 1):
        content = {**CONTENT, "seq": seq, "stream": stream}
        digest = chain.row_hash(prev, content)
        rows.append((100 + seq, prev, digest, content))
        prev = digest
    return rows


def _walk(rows, head) -> chain.Problem | None:
    walk = chain.StreamWalk("asset:42", head)
    for row in rows:
        walk.feed(*row)
    return walk.finish()


def _head(rows) -> chain.Head:
    last_id, _prev, digest, content = rows[-1]
    return chain.Head(content["seq"], digest, last_id)


def test_an_intact_stream_and_each_kind_of_damage():
    rows = _chain(4)
    head = _head(rows)
    assert _walk(rows, head) is None
    # changed
    edited = [*rows[:1], (*rows[1][:3], {**rows[1][3], "reason": "x"}), *rows[2:]]
    assert _walk(edited, head) == chain.Problem(
        "asset:42", chain.CHANGED, 102, "seq 2: its content does not give its hash"
    )
    # deleted in the middle, at the end
    assert _walk([rows[0], *rows[2:]], head).kind == chain.DELETED
    assert _walk(rows[:2], head) == chain.Problem(
        "asset:42", chain.DELETED, 104, "seq 3..4 missing at the end: the head names row 104"
    )
    # inserted: beyond the head, without a head, a second seq
    assert _walk(rows, _head(rows[:3])) == chain.Problem(
        "asset:42", chain.INSERTED, 104, "seq 4 is beyond the head (seq 3)"
    )
    assert _walk(rows, None).row_id == 101
    assert _walk([*rows[:2], rows[1], *rows[2:]], head) == chain.Problem(
        "asset:42", chain.INSERTED, 102, "a second row with seq 2"
    )
    # the last row replaced by one the head does not name
    assert _walk([*rows[:3], (999, *rows[3][1:])], head) == chain.Problem(
        "asset:42", chain.CHANGED, 999, "seq 4 is not the row the head names"
    )


def test_a_broken_stream_is_counted_but_judged_once():
    # given
    rows = _chain(5)
    walk = chain.StreamWalk("asset:42", _head(rows))
    # when
    for row in [rows[0], *rows[2:]]:
        walk.feed(*row)
    # then
    assert (walk.rows, walk.finish().row_id) == (4, 103)
