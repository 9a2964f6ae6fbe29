"""Spreadsheet rules without a database: inert formulas, exact yuan, Shanghai times, RFC 4180 records, file names."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from market.spreadsheets import BOM, Column, Kind, XlsxSheet, content_disposition, csv_cell, csv_chunks, inert, yuan


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(start: str) -> None:
    assert inert(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


@pytest.mark.parametrize("text", ["", "普通文本", "1+1", "a=b", " =1", "'=1"])
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert inert(text) == text


@pytest.mark.parametrize(("fen", "shown"), [(0, "0.00"), (5, "0.05"), (123456, "1234.56"), (-250, "-2.50")])
def test_money_is_yuan_with_two_decimals_exactly(fen: int, shown: str) -> None:
    assert yuan(fen) == shown == csv_cell(fen, Kind.MONEY)


def test_cells_by_kind() -> None:
    at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 the next day in Shanghai
    assert csv_cell(at, Kind.DATETIME) == "2026-03-02 00:30"
    assert csv_cell(date(2026, 3, 1), Kind.DATE) == "2026-03-01"
    assert csv_cell(Decimal("92.5"), Kind.DECIMAL) == "92.50"
    assert csv_cell(None, Kind.MONEY) == ""
    assert csv_cell(-3, Kind.INT) == "-3"  # a number we wrote is a number, not a formula
    assert csv_cell("-3", Kind.TEXT) == "'-3"
    assert csv_cell("第一行\n第二行\r\n第三行", Kind.TEXT) == "第一行\r\n第二行\r\n第三行"


async def _batches(*batches: list[tuple[object, ...]]) -> AsyncIterator[list[tuple[object, ...]]]:
    for batch in batches:
        yield batch


async def test_csv_is_a_bom_a_header_and_crlf_records_quoted_where_needed() -> None:
    columns = (Column("h.a"), Column("h.b", Kind.MONEY))
    chunks = [c async for c in csv_chunks(columns, ["名称", "金额"], _batches([('逗号,引号"', 100)], [("两\n行", 5)]))]
    assert len(chunks) == 3  # the header, then one chunk per batch as it comes
    text = b"".join(chunks).decode()
    assert text.startswith(BOM)
    assert text[1:] == '名称,金额\r\n"逗号,引号""",1.00\r\n"两\r\n行",0.05\r\n'
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [
        ["名称", "金额"],
        ['逗号,引号"', "1.00"],
        ["两\r\n行", "0.05"],
    ]


def test_xlsx_writes_numbers_dates_and_strings_never_formulas() -> None:
    out = io.BytesIO()
    columns = (Column("a"), Column("b", Kind.MONEY), Column("c", Kind.DATETIME), Column("d", Kind.INT))
    sheet = XlsxSheet(out, "需求清单[1]", columns, ["名称", "金额", "时间", "数"])
    sheet.write([("=1+1", 12345, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), 7), ("普通", None, None, None)])
    sheet.close()
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.title == "需求清单 1 "
    assert [c.value for c in ws[1]] == ["名称", "金额", "时间", "数"]
    formula, money, at, n = ws[2]
    assert (formula.value, formula.data_type, formula.quotePrefix) == ("=1+1", "s", True)
    assert (money.value, money.number_format) == (123.45, "#,##0.00")
    assert (at.value, at.number_format) == (datetime(2026, 3, 2, 0, 30), "yyyy-mm-dd hh:mm")
    assert n.value == 7
    assert [c.value for c in ws[3]] == ["普通", None, None, None]


def test_file_name_is_ascii_with_the_readers_name_beside_it() -> None:
    assert content_disposition("needs-2026-12-05.csv", "需求清单-2026-12-05.csv") == (
        'attachment; filename="needs-2026-12-05.csv"; '
        "filename*=UTF-8''%E9%9C%80%E6%B1%82%E6%B8%85%E5%8D%95-2026-12-05.csv"
    )
