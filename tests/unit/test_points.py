"""Points (积分制) rules without a database: the default covers every rule, the state machine's table, how a holder
is masked, and the shape of a statement's code."""

from __future__ import annotations

from datetime import date

from market.services._points._balances import CODE, mask_holder, statement_code
from market.services._points._rules import DEFAULT_POINTS, HOLDER_OF, RuleCode
from market.states import PointStatus, can_transition

KEY = b"k" * 32


def test_every_rule_has_a_default_and_a_holder() -> None:
    assert set(DEFAULT_POINTS) == set(RuleCode) == set(HOLDER_OF)
    assert DEFAULT_POINTS[RuleCode.PROJECT_FAIL] < 0 < DEFAULT_POINTS[RuleCode.PROJECT_PASS]


def test_only_a_posted_entry_can_count_and_nothing_leaves_an_end_state() -> None:
    assert can_transition(PointStatus.POSTED, PointStatus.COUNTED)
    assert not can_transition(PointStatus.PROPOSED, PointStatus.COUNTED)
    assert not can_transition(PointStatus.REJECTED, PointStatus.POSTED)
    for end in (PointStatus.REJECTED, PointStatus.COUNTED, PointStatus.REVERSED):
        assert not any(can_transition(end, s) for s in PointStatus)


def test_a_holder_is_masked_but_stays_recognisable() -> None:
    assert mask_holder("李沧区阳光助老服务中心") == "李沧*******中心"
    assert mask_holder("张**") == "张**"
    assert mask_holder("王五") == "王*"


def test_a_code_names_its_holder_balance_and_date_and_changes_with_each() -> None:
    code = statement_code(KEY, "O12", 583, date(2026, 12, 5))
    m = CODE.match(code)
    assert m is not None and m.groups()[:4] == ("O", "12", "583", "20261205")
    assert statement_code(KEY, "O12", 584, date(2026, 12, 5)) != code
    assert statement_code(KEY, "O13", 583, date(2026, 12, 5)) != code
    assert statement_code(KEY, "O12", 583, date(2026, 12, 6)) != code
    assert statement_code(b"another key" * 3, "O12", 583, date(2026, 12, 5)) != code
    assert CODE.match(statement_code(KEY, "R7", -50, date(2026, 1, 1)))
