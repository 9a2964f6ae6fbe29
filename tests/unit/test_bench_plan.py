"""The benchmark generator's plan is a function of its scale, seed and moment: the same rows every time."""

from __future__ import annotations

from datetime import UTC, datetime

from bench._plan import SCALES, Plan, allocate

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _rows(seed: int) -> list[tuple[str, dict[str, object]]]:
    return list(Plan(SCALES["smoke"], now=NOW, seed=seed, alliance_ids=[1, 2, 3, 4]).rows())


def test_same_seed_and_moment_give_the_same_rows() -> None:
    assert _rows(1) == _rows(1)


def test_another_seed_gives_another_history() -> None:
    assert _rows(1) != _rows(2)


def test_nothing_generated_happens_after_now() -> None:
    for table, row in _rows(1):
        for name, value in row.items():
            if isinstance(value, datetime) and name not in {"claim_deadline", "notice_ends_at", "starts_at"}:
                assert value <= NOW, f"{table}.{name} = {value} is after now"


def test_allocation_places_exactly_the_total_within_every_cap() -> None:
    import random

    counts = allocate(random.Random(3), 50, [1, 1, 1, 0], [10, 20, 30, 5], "things")
    assert sum(counts) == 50
    assert all(1 <= c <= cap for c, cap in zip(counts[:3], [10, 20, 30], strict=True))
    assert counts[3] <= 5
