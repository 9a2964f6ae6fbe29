"""The translation layer: both catalogs complete, every key used in templates or Python known, every enum labelled."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from market.i18n import (
    ALLIANCE_CODES,
    CATALOGS,
    EN,
    LABELLED_ENUMS,
    ZH_CN,
    choose_lang,
    error_text,
    label,
    safe_next,
    t,
)
from market.kernel.errors import NotFound, StateConflict

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SOURCES = (ROOT / "market", ROOT / "alliances")
# `_('key'` or `_("key"` in any template.
KEY_IN_TEMPLATE = re.compile(r"""\b_\(\s*['"]([A-Za-z0-9_.\-]+)['"]""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_both_languages() -> None:
    assert set(ZH_CN) - set(EN) == set(), "missing in en"
    assert set(EN) - set(ZH_CN) == set(), "missing in zh-CN"


def test_no_message_is_empty_and_placeholders_agree() -> None:
    for key in ZH_CN:
        assert ZH_CN[key].strip() and EN[key].strip(), key
        assert _placeholders(ZH_CN[key]) == _placeholders(EN[key]), key


def test_every_template_key_exists_in_both_catalogs() -> None:
    used: dict[str, str] = {}
    for path in TEMPLATES.rglob("*.j2"):
        for key in KEY_IN_TEMPLATE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, str(path.relative_to(TEMPLATES)))
    assert used, "no translated strings found in templates/"
    for lang, catalog in CATALOGS.items():
        missing = {k: where for k, where in used.items() if k not in catalog}
        assert not missing, f"keys missing in {lang}: {missing}"


@pytest.mark.parametrize("kind", sorted(LABELLED_ENUMS))
def test_every_enum_value_is_labelled_in_both_languages(kind: str) -> None:
    for member in LABELLED_ENUMS[kind]:
        for lang, catalog in CATALOGS.items():
            assert f"{kind}.{member.value}" in catalog, f"{lang} lacks {kind}.{member.value}"


def test_the_four_alliances_are_labelled() -> None:
    for code in ALLIANCE_CODES:
        for catalog in CATALOGS.values():
            assert f"alliance.{code}" in catalog and f"alliance_unit.{code}" in catalog


def test_t_formats_and_falls_back_to_chinese() -> None:
    assert t("classes.remaining", "en", n=3) == "3 seats left"
    assert t("classes.remaining", "zh-CN", n=3) == "剩余 3 个名额"
    assert t("classes.remaining", "fr", n=3) == "剩余 3 个名额"
    assert label("task_status", "posted", "en") == "Open for claims"
    assert label("alliance", "someday-alliance", "en") == "someday-alliance"


def test_language_comes_from_the_cookie_or_defaults_to_chinese() -> None:
    assert choose_lang("en") == "en"
    assert choose_lang(None) == "zh-CN"
    assert choose_lang("de") == "zh-CN"


def test_an_error_reads_in_the_readers_language() -> None:
    exc = StateConflict("error.notice_period_over_objections")
    assert error_text(exc, "en") == "the notice period is over; objections are closed"
    assert error_text(exc, "zh-CN") == "公示期已结束，不再受理异议"
    assert error_text(NotFound("error.no_such_task"), "fr") == "榜单不存在"


def test_an_errors_parameters_fill_its_message() -> None:
    exc = StateConflict("error.seats_cannot_drop_below", field="seats", confirmed_count=12)
    assert exc.key == "error.seats_cannot_drop_below" and exc.params == {"confirmed_count": 12}
    assert error_text(exc, "en") == "seats cannot drop below the 12 confirmed places"
    assert error_text(exc, "zh-CN") == "已确认 12 人，座位数不能少于此"


# The exceptions whose first argument is a message key: the domain's error tree (and alliances' errors), and the pure
# rules' errors that carry a key for the service to pass on (scoring's rubric and marks, a credit code's faults).
ERROR_ROOTS = frozenset(
    {"ApplicationError", "InvalidField", "Conflict", "RubricError", "MarkError", "InvalidCreditCode"}
)
# Members of an error that are not message parameters.
NOT_PARAMS = frozenset({"field", "extra", "headers", "index", "criterion", "retry_after", "reason"})
MESSAGE_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# Functions whose first argument (after `request` for `say`) is a message key.
KEYED_CALLS = {"t": 0, "say": 1}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            if "i18n" in path.relative_to(ROOT).parts:
                continue
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _error_classes(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """The error roots and every class that inherits from one, in any module."""
    found = set(ERROR_ROOTS)
    grew = True
    while grew:
        grew = False
        for _, tree in modules:
            for node in ast.walk(tree):
                inherits = isinstance(node, ast.ClassDef) and any(_name(base) in found for base in node.bases)
                if inherits and isinstance(node, ast.ClassDef) and node.name not in found:
                    found.add(node.name)
                    grew = True
    return found


def _constants(modules: list[tuple[str, ast.Module]]) -> dict[str, str]:
    """Module-level `NAME = "text"` constants, by name (an error may be raised with `NO_TASK`)."""
    found: dict[str, str] = {}
    for _, tree in modules:
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found[node.targets[0].id] = node.value.value
    return found


def python_message_problems(catalogs: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with the messages Python code uses: each problem as `path:line: what`.

    Every raise site (or construction) of an error class must give a message key as its first argument, a literal
    or a module constant holding one, never text, an f-string or `str(exc)`; the key must be in every catalog, and
    the keyword arguments must fill exactly the message's placeholders. `t("key")` and `say(request, "key")` with a
    literal key must name a key every catalog has.
    """
    modules = list(_modules())
    classes = _error_classes(modules)
    constants = _constants(modules)
    problems: list[str] = []
    for where, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            at = f"{where}:{node.lineno}"
            if name in KEYED_CALLS:
                index = KEYED_CALLS[name]
                arg = node.args[index] if len(node.args) > index else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and MESSAGE_KEY.match(arg.value):
                    problems += [
                        f"{at}: {arg.value} missing in {lang}" for lang, c in catalogs.items() if arg.value not in c
                    ]
                continue
            if name not in classes or not node.args:
                continue
            arg = node.args[0]
            key: str | None = None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                key = arg.value
            elif isinstance(arg, ast.Name | ast.Attribute) and _name(arg) in constants:
                key = constants[_name(arg) or ""]
            elif isinstance(arg, ast.Name | ast.Attribute | ast.Subscript):
                continue  # a key chosen at run time (`fault`, `exc.key`, a table of keys): its sources are literals
            else:
                problems.append(f"{at}: {name} is given text, not a message key: {ast.unparse(arg)[:80]}")
                continue
            if not MESSAGE_KEY.match(key):
                problems.append(f"{at}: {name} is given text, not a message key: {key[:80]}")
                continue
            missing = [lang for lang, catalog in catalogs.items() if key not in catalog]
            if missing:
                problems.append(f"{at}: {key} missing in {', '.join(missing)}")
                continue
            if any(k.arg is None for k in node.keywords):
                continue  # `**exc.params`: passed on from an error that was checked where it was raised
            given = {k.arg for k in node.keywords if k.arg} - NOT_PARAMS
            wanted = _placeholders(catalogs["zh-CN"][key]) | _placeholders(catalogs["en"][key])
            if given != wanted:
                problems.append(f"{at}: {key} wants {sorted(wanted)}, is given {sorted(given)}")
    return problems


def test_every_key_python_uses_is_in_both_catalogs_and_no_error_carries_text() -> None:
    assert python_message_problems(CATALOGS) == []


def test_the_python_check_fails_on_a_key_missing_in_one_language() -> None:
    # The check sees keys used in Python: take one real error key out of the English catalog and it must say so.
    without = {"zh-CN": ZH_CN, "en": {k: v for k, v in EN.items() if k != "error.no_such_task"}}
    found = set(python_message_problems(without)) - set(python_message_problems(CATALOGS))
    assert found and all(p.endswith("error.no_such_task missing in en") for p in found), found


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/tasks?page=2", "/tasks?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/a\nb", "/"),
    ],
)
def test_next_only_ever_leads_to_a_local_path(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
