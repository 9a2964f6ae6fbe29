"""The translation layer: both catalogs complete, every template key known, every enum labelled."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from market.i18n import (
    ALLIANCE_CODES,
    CATALOGS,
    EN,
    LABELLED_ENUMS,
    ZH_CN,
    choose_lang,
    label,
    localize_detail,
    safe_next,
    t,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
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


def test_bilingual_details_show_one_language() -> None:
    detail = "公示期已结束,不再受理异议 (the notice period is over; objections are closed)"
    assert localize_detail(detail, "en") == "the notice period is over; objections are closed"
    assert localize_detail(detail, "zh-CN") == "公示期已结束,不再受理异议"
    assert localize_detail("plain", "en") == "plain"


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
