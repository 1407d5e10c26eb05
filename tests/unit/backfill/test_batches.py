"""Request bodies: under Azure's 1 MB before compression, gzip on the wire, split without re-encoding."""

from __future__ import annotations

import datetime as dt
import gzip
import json

from deployer.backfill.batches import MAX_BODY_BYTES, Batch, BatchBuilder

DAY = dt.date(2026, 3, 2)


def events(count: int, size: int = 900) -> list[dict[str, object]]:
    return [{"id": f"e{i}", "details": {"note": "Ørsted " * (size // 7)}} for i in range(count)]


def build(count: int, max_bytes: int = MAX_BODY_BYTES) -> list[Batch]:
    builder = BatchBuilder(max_bytes)
    made = [builder.add(e, DAY) for e in events(count)] + [builder.flush()]
    return [b for b in made if b is not None]


def test_every_body_is_a_gzip_json_array_under_the_limit_and_all_events_are_kept() -> None:
    made = build(3_000)
    assert len(made) > 1
    for batch in made:
        raw = gzip.decompress(batch.body())
        assert len(raw) == batch.size <= MAX_BODY_BYTES
        assert len(batch.body()) < len(raw)
    assert [e["id"] for b in made for e in json.loads(gzip.decompress(b.body()))] == [f"e{i}" for i in range(3_000)]


def test_halves_keep_the_order_ids_days_and_sizes() -> None:
    (batch,) = build(5, 10_000_000)
    first, second = batch.halves()
    assert first.ids == ["e0", "e1"] and second.ids == ["e2", "e3", "e4"]
    assert first.days == [DAY, DAY]
    for half in (first, second):
        assert len(gzip.decompress(half.body())) == half.size


def test_non_ascii_text_survives_the_trip() -> None:
    (batch,) = build(1)
    assert json.loads(gzip.decompress(batch.body()))[0]["details"]["note"].startswith("Ørsted ")
