"""Chinese that reads as Chinese: full-width punctuation, one term per thing (docs/glossary.md), no developer words.

Three sources of what a Chinese reader sees are scanned: the zh-CN catalog, the templates' own text (a translated
message `{{ _(...) }}` or `{{ label(...) }}` counts as Chinese, so punctuation glued to it must come from the
catalog too), and the Chinese string literals in the Python code (the demo district, notices). Errors are message
keys whose Chinese lives in the zh-CN catalog (`market/i18n/_errors.py`), so the catalog's check covers them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from market.i18n import ZH_CN

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Python packages whose string literals people read; the catalogs are checked through ZH_CN instead (their en
# halves rightly use ASCII punctuation around Chinese terms, e.g. "Claim (揭榜)").
PY_SOURCES = [ROOT / "market", ROOT / "alliances"]
PY_SKIPPED = {ROOT / "market" / "i18n"}

# Han ideographs, and the Chinese/full-width punctuation and quotes that sit inside Chinese sentences.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d\u2026"
HAN = f"[{_HAN}]"
# An ASCII , : ; ! ? ( ) touching Chinese text ("中文 (English)" halves are apart by a space, so they pass).
ASCII_BESIDE_HAN = re.compile(rf"(?<={HAN})[,:;!?()]|[,:;!?()](?={HAN})")
# Legitimate ASCII next to Chinese, removed before the check: web addresses and {placeholders} (a placeholder
# stands for a value, so "{n},请" is still caught: it becomes "x,请").
URL = re.compile(r"https?://\S+")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")

# Words a reader would not use, or a second name for something the glossary names once.
FORBIDDEN = {
    "我的方案": "意向书 (a proposal is 揭榜意向书/意向书, never 方案)",
    "揭榜方案": "意向书",
    "揭榜书": "意向书",
    "投标": "揭榜 (this is not a procurement tender)",
    "竞标": "揭榜",
    "发布单位": "发榜单位",
    "牵头方": "牵头组织",
    "拒绝": "婉拒 (an invitation or an order is declined politely)",
    "中标": "承榜",
    "标书": "意向书",
    "流标": "流榜",
    "订单": "点单",
    "合作组织": "合作方",
    "打分": "评分",
    "评委会": "评审组",
    "评审小组": "评审组",
    "控制字符": "换行等特殊字符 (a developer word)",
    "字段": "a developer word: name the thing (姓名, 手机号…)",
}
# Keys where a developer word is the point: the API documentation page.
FORBIDDEN_ALLOWED_KEYS = re.compile(r"^apidocs\.")


def _flagged(text: str) -> list[str]:
    plain = PLACEHOLDER.sub("x", URL.sub("x", text))
    return [plain[max(0, m.start() - 8) : m.end() + 8] for m in ASCII_BESIDE_HAN.finditer(plain)]


# Templates ------------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
_TRANSLATED = re.compile(r"^\s*(_|label)\(")


def _template_text(source: str) -> str:
    """The template as a Chinese reader meets it: translated messages stand as 文, other values as x."""
    text = _COMMENT.sub("", source)
    text = _EXPRESSION.sub(lambda m: "文" if _TRANSLATED.match(m.group(1)) else "x", text)
    return _STATEMENT.sub("", text)


def _templates() -> Iterator[tuple[str, str]]:
    for path in sorted(TEMPLATES.rglob("*.j2")):
        yield str(path.relative_to(ROOT)), _template_text(path.read_text(encoding="utf-8"))


# Python string literals ------------------------------------------------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _is_re_call(node: ast.AST) -> bool:
    """A call such as re.compile(...), whose string arguments are patterns."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
    )


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)
    return None


def _python_strings() -> Iterator[tuple[str, str]]:
    for base in PY_SOURCES:
        for path in sorted(base.rglob("*.py")):
            if any(path.is_relative_to(skipped) for skipped in PY_SKIPPED):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = _docstrings(tree)
            inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
            patterns = {id(a) for n in ast.walk(tree) if _is_re_call(n) for a in n.args}  # code, not prose
            for node in ast.walk(tree):
                if id(node) in docstrings or id(node) in inner or id(node) in patterns:
                    continue
                text = _literal(node)
                if text is not None and re.search(HAN, text):
                    yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}", text


def _zh_sources() -> Iterator[tuple[str, str]]:
    yield from ((f"zh-CN {key}", value) for key, value in ZH_CN.items())
    yield from _templates()
    yield from _python_strings()


# The rules ---------------------------------------------------------------------------------------------------


def test_chinese_text_uses_full_width_punctuation() -> None:
    offences = [f"{where}: …{bit}…" for where, text in _zh_sources() for bit in _flagged(text)]
    assert offences == [], f"{len(offences)} ASCII marks beside Chinese text:\n" + "\n".join(offences)


def test_glossary_variants_and_developer_words_appear_nowhere_in_chinese_text() -> None:
    offences = [
        f"{where}: {word} → {use}"
        for where, text in _zh_sources()
        if not FORBIDDEN_ALLOWED_KEYS.match(where.removeprefix("zh-CN "))
        for word, use in FORBIDDEN.items()
        if word in text
    ]
    assert offences == [], "\n".join(offences)


def test_the_glossary_names_each_term_it_enforces() -> None:
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    terms = ("榜单", "揭榜意向书", "意向书", "承榜", "公示", "点单", "需求清单", "合作方", "评分", "评审组", "流榜")
    for term in terms:
        assert term in glossary, term
    for word in FORBIDDEN:
        assert word in glossary, f"the glossary should say not to write {word}"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("已登录:{name}", True),
        ("{n},请稍候", True),
        ("第 {rank} 名(共 {total} 份)", True),
        ("账号 {name}({role})已创建", True),
        ("是否继续?", True),
        ("文:x", True),  # a template's translated label followed by an ASCII colon
        ("请在 19:00 前到场", False),
        ("接口(https://example.org/a,b)", True),  # the parentheses, not the address
        ("课程已开始 (the class has started)", False),
        ("已登录：{name}，欢迎（共 3 份）", False),
    ],
)
def test_the_punctuation_rule_itself(text: str, bad: bool) -> None:
    assert bool(_flagged(text)) is bad
