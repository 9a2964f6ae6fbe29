"""Notifications are message keys with parameters: every key written is in both catalogs, and reads render it
in the reader's language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from market import notify
from market.i18n import CATALOGS, choose_accept_language

ROOT = Path(__file__).resolve().parents[2]
# The functions that write a notification, and which positional argument is its key.
WRITERS = {"to_users": 2, "to_orgs": 2, "to_alliances": 2, "to_role": 2, "_tell_provider": 2}


def _called(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "notify":
        return f.attr
    if isinstance(f, ast.Name) and f.id == "_tell_provider":
        return f.id
    return None


def _assigned(func: ast.AST, name: str) -> list[ast.expr]:
    """What `name` is assigned in a function, plain or by tuple unpacking."""
    found: list[ast.expr] = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                found.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                found += [v for t, v in zip(target.elts, node.value.elts, strict=True) if getattr(t, "id", "") == name]
    return found


def _keys(expr: ast.expr, func: ast.AST, params: set[str]) -> set[str] | None:
    """The keys an argument can be; None when it is the enclosing function's own parameter (passed through)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        a, b = _keys(expr.body, func, params), _keys(expr.orelse, func, params)
        assert a is not None and b is not None
        return a | b
    if isinstance(expr, ast.Name):
        if expr.id in params:
            return None
        values = _assigned(func, expr.id)
        assert values, f"cannot tell what {expr.id} is"
        keys: set[str] = set()
        for value in values:
            found = _keys(value, func, params)
            assert found is not None
            keys |= found
        return keys
    raise AssertionError(f"a notification key must be a literal, not {ast.dump(expr)}")


def written_keys() -> dict[str, list[str]]:
    """Every key any code writes, with where (file:line)."""
    found: dict[str, list[str]] = {}
    for path in [*(ROOT / "market").rglob("*.py"), *(ROOT / "alliances").rglob("*.py")]:
        if path.name == "notify.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            params = {a.arg for a in [*func.args.args, *func.args.kwonlyargs]}
            for node in ast.walk(func):
                if not isinstance(node, ast.Call) or (called := _called(node)) is None or called not in WRITERS:
                    continue
                keys = _keys(node.args[WRITERS[called]], func, params)
                for key in keys or ():
                    found.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_key_the_code_writes_is_in_both_catalogs() -> None:
    written = written_keys()
    assert len(written) > 30, sorted(written)
    for key, where in written.items():
        assert key != notify.LEGACY, where
        notify.message_fields(key)  # raises UnknownMessage for a key either catalog lacks


def test_every_notification_message_in_the_catalogs_is_written_somewhere() -> None:
    in_catalog = {k.removeprefix("notify.").rsplit(".", 1)[0] for k in CATALOGS["zh-CN"] if k.startswith("notify.")}
    in_catalog -= {"legacy", "list_separator"}
    assert in_catalog - set(written_keys()) == set()


def test_an_unknown_key_or_ill_fitting_params_are_refused_before_anything_is_written() -> None:
    with pytest.raises(notify.UnknownMessage):
        notify.check("task_posted_typo", {"task": "x", "deadline": "y"})
    with pytest.raises(notify.UnknownMessage):
        notify.check("legacy", {"title": "旧消息", "body": ""})
    with pytest.raises(notify.UnknownMessage):
        notify.check("task_posted", {"task": "x"})  # the deadline is missing
    with pytest.raises(notify.UnknownMessage):
        notify.check("task_posted", {"task": "x", "deadline": "y", "extra": "z"})
    with pytest.raises(notify.UnknownMessage):
        notify.check("order_rated", {"service": "x", "rating": 4.5})
    notify.check("order_rated", {"service": "x", "rating": 5})


def test_a_notification_renders_in_the_readers_language() -> None:
    params = {"task": "社区老年食堂运营", "ends": "2026-03-20 09:00"}
    assert notify.render("award.notice", params, "zh-CN") == (
        "拟承榜公示：社区老年食堂运营",
        "公示期至 2026-03-20 09:00（北京时间）。",
    )
    assert notify.render("award.notice", params, "en") == (
        "Proposed award under public notice: 社区老年食堂运营",
        "The notice period ends 2026-03-20 09:00 (Beijing time).",
    )
    assert notify.render("award.notice", params, "fr") == notify.render("award.notice", params, "zh-CN")
    assert notify.kind_of("award.notice") == "award"


def test_grades_are_labelled_and_lists_joined_per_language_and_an_empty_comment_leaves_no_body() -> None:
    params = {"project": "金融夜校", "score": 96, "grade": "excellent", "comment": ""}
    assert notify.render("evaluation", params, "zh-CN") == ("项目结项评价：金融夜校 96 分（优秀）", "")
    assert notify.render("evaluation", params, "en") == ("Final evaluation: 金融夜校, 96 points (Excellent)", "")
    people = {"topic": "防诈骗", "starts": "03-05 19:00", "people": ["张*", "李*"]}
    assert notify.render("waitlist_promoted", people, "zh-CN")[1] == "张*、李* 已从候补转为正式报名。"
    assert (
        notify.render("waitlist_promoted", people, "en")[1] == "张*, 李* moved from the waitlist to a confirmed seat."
    )


def test_older_notifications_show_the_text_they_were_stored_with() -> None:
    legacy = {"title": "新榜单:社区老年食堂运营", "body": ""}
    assert notify.render("legacy", legacy, "en") == ("新榜单:社区老年食堂运营", "")
    # A key a later release dropped still shows something rather than failing the inbox.
    assert notify.render("gone.away", {"task": "x"}, "en") == ("gone.away", "")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR,en;q=0.5,zh;q=0.4", "en"),
        ("de, fr", "zh-CN"),
        ("zh;q=0.2, en;q=0.7", "en"),
        ("en;q=0, zh", "zh-CN"),
        ("en;q=abc, zh-TW;q=0.3", "zh-CN"),
        ("en;q=nan", "zh-CN"),
        ("*", "zh-CN"),
        (";;;,,,=q", "zh-CN"),
        ("en;q=1.5", "zh-CN"),
    ],
)
def test_the_api_language_follows_accept_language(header: str | None, lang: str) -> None:
    assert choose_accept_language(header) == lang
