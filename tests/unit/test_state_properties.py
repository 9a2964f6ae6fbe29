"""Properties of the state machines (market/states.py) and of the one function that applies them (transitions.move).

Random sequences of attempted transitions, whatever they ask for, only ever take a path the table allows, write one
audit entry per step taken and none per step refused; terminal states have no exits; every state can be reached from
where its thing starts; and the states SPEC names as ends are exactly the table's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market import transitions
from market.kernel.errors import StateConflict
from market.states import (
    _TABLES,
    AwardStatus,
    NeedStatus,
    ObjectionStatus,
    OrderStatus,
    PointStatus,
    ProjectStatus,
    ProposalStatus,
    SignupStatus,
    TaskStatus,
    check_transition,
    effective_task_status,
)

# Pure functions: a hundred examples each run in well under a second; no deadline, so a loaded machine cannot turn
# a slow example into a failure.
FAST = settings(max_examples=100, deadline=None)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# Where each thing starts: a task and a proposal as drafts, an award in its notice period, an objection open, a
# project under way, a need open, an order requested, a sign-up confirmed or (when the class is full) waitlisted, a
# points entry proposed.
STARTS: dict[type[StrEnum], tuple[StrEnum, ...]] = {
    TaskStatus: (TaskStatus.DRAFT,),
    ProposalStatus: (ProposalStatus.DRAFT,),
    AwardStatus: (AwardStatus.NOTICE,),
    ObjectionStatus: (ObjectionStatus.OPEN,),
    ProjectStatus: (ProjectStatus.IN_PROGRESS,),
    NeedStatus: (NeedStatus.OPEN,),
    OrderStatus: (OrderStatus.REQUESTED,),
    SignupStatus: (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED),
    PointStatus: (PointStatus.PROPOSED,),
}

# The ends SPEC names: a task closes, is cancelled or goes unclaimed (流榜; reposting makes a new task); a proposal
# withdrawn stays withdrawn; an award is confirmed or revoked; an objection upheld or dismissed; a project closed;
# a need resolved or declined; an order declined, rated or cancelled; a sign-up cancelled; a points entry rejected,
# counted or reversed (SPEC, Points: only a counted entry counts, and an upheld objection reverses it for good).
TERMINAL: dict[type[StrEnum], set[StrEnum]] = {
    TaskStatus: {TaskStatus.CLOSED, TaskStatus.CANCELLED, TaskStatus.UNCLAIMED},
    ProposalStatus: {ProposalStatus.WITHDRAWN},
    AwardStatus: {AwardStatus.CONFIRMED, AwardStatus.REVOKED},
    ObjectionStatus: {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED},
    ProjectStatus: {ProjectStatus.CLOSED},
    NeedStatus: {NeedStatus.RESOLVED, NeedStatus.DECLINED},
    OrderStatus: {OrderStatus.DECLINED, OrderStatus.RATED, OrderStatus.CANCELLED},
    SignupStatus: {SignupStatus.CANCELLED},
    PointStatus: {PointStatus.REJECTED, PointStatus.COUNTED, PointStatus.REVERSED},
}

MACHINES = list(STARTS)


def reachable(kind: type[StrEnum]) -> set[StrEnum]:
    """Every state reachable from the thing's start(s) through the table."""
    table = _TABLES[kind]
    seen = set(STARTS[kind])
    frontier = list(seen)
    while frontier:
        for nxt in table[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def test_every_state_machine_is_covered_here() -> None:
    assert set(_TABLES) == set(STARTS) == set(TERMINAL)


@pytest.mark.parametrize("kind", MACHINES, ids=lambda k: k.__name__)
def test_every_state_is_reachable_from_the_start(kind: type[StrEnum]) -> None:
    assert reachable(kind) == set(kind)
    assert set(_TABLES[kind]) == set(kind), "every state has a row in the table"


@pytest.mark.parametrize("kind", MACHINES, ids=lambda k: k.__name__)
def test_terminal_states_are_the_specs_ends_and_have_no_exits(kind: type[StrEnum]) -> None:
    table = _TABLES[kind]
    assert {s for s in kind if not table[s]} == TERMINAL[kind]
    for end in TERMINAL[kind]:
        for target in kind:
            with pytest.raises(StateConflict):
                check_transition(end, target)


def test_a_task_is_cancelled_only_from_draft_posted_or_reviewing() -> None:
    table = _TABLES[TaskStatus]
    assert {s for s in TaskStatus if TaskStatus.CANCELLED in table[s]} == {
        TaskStatus.DRAFT,
        TaskStatus.POSTED,
        TaskStatus.REVIEWING,
    }


class Thing:
    """A stand-in row: what transitions.move reads and writes."""

    def __init__(self, status: StrEnum) -> None:
        self.id = 1
        self.status: str = status.value


@st.composite
def walks(draw: st.DrawFn) -> tuple[type[StrEnum], StrEnum, list[StrEnum]]:
    kind = draw(st.sampled_from(MACHINES))
    start = draw(st.sampled_from(STARTS[kind]))
    # Any target at all, allowed or not: the machine must refuse the ones the table lacks.
    attempts = draw(st.lists(st.sampled_from(list(kind)), max_size=25))
    return kind, start, attempts


@FAST
@given(walks())
def test_random_events_only_ever_take_the_tables_paths(walk: tuple[type[StrEnum], StrEnum, list[StrEnum]]) -> None:
    kind, start, attempts = walk
    table = _TABLES[kind]
    entries: list[dict[str, Any]] = []

    async def record(_db: Any, **entry: Any) -> None:
        entries.append(entry)

    async def apply_all() -> None:
        thing = Thing(start)
        for target in attempts:
            before = kind(thing.status)
            taken = len(entries)
            if target in table[before]:
                assert await move(thing, target) == before
                assert (entries[-1]["before"], entries[-1]["after"]) == (before, target)
                assert len(entries) == taken + 1
            else:
                with pytest.raises(StateConflict):
                    await move(thing, target)
                # A refused step changes nothing and records nothing.
                assert (thing.status, len(entries)) == (before, taken)
            assert kind(thing.status) in reachable(kind)

    with pytest.MonkeyPatch.context() as mp:
        # The audit recorder, swapped for a list: the property runs no database.
        mp.setattr(transitions, "record", record)
        asyncio.run(apply_all())


async def move(thing: Thing, target: StrEnum) -> StrEnum:
    return await transitions.move(None, thing, target, entity="x", action="a", actor=None, now=T0)  # type: ignore[arg-type]


@FAST
@given(
    st.sampled_from(list(TaskStatus)),
    st.integers(-3, 3),
    st.integers(0, 3),
    st.lists(st.integers(-5, 5), min_size=1, max_size=6),
)
def test_a_tasks_status_in_time_moves_only_forward_along_the_table(
    stored: TaskStatus, deadline_day: int, submitted: int, days: list[int]
) -> None:
    """Time alone moves only a posted task, only at its deadline, only to review (claimed) or unclaimed; never back."""
    deadline = T0 + timedelta(days=deadline_day)
    seen = [effective_task_status(stored, deadline, T0 + timedelta(days=d), submitted) for d in sorted(days)]
    for status in seen:
        assert status == stored or status in _TABLES[TaskStatus][stored]
        if stored is not TaskStatus.POSTED:
            assert status == stored
    if stored is TaskStatus.POSTED:
        after = TaskStatus.REVIEWING if submitted else TaskStatus.UNCLAIMED
        assert all(s == after for s in seen[next((i for i, s in enumerate(seen) if s != stored), len(seen)) :])
    assert effective_task_status(stored, None, T0, submitted) == stored
