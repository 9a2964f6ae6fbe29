"""Lists as spreadsheets: CSV that Excel opens in Chinese, and XLSX written in constant memory.

Pure formatting, no database: a sheet is its columns (a header and a kind each) and batches of rows, each row the
typed values in column order (money as integer fen, times as aware UTC datetimes). CSV is UTF-8 with a byte-order
mark (Excel reads BOM-less CSV in the system's code page), RFC 4180 quoting and CRLF line ends, yielded a batch at a
time. XLSX is written by XlsxWriter in `constant_memory` mode (each row goes to a temporary file as it is written),
with money, scores and counts as numbers and times as dates in Asia/Shanghai, each with its number format.

A text cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return: OWASP's CSV
injection list) gets a leading `'` in CSV. In XLSX every text cell is a string cell, which is never evaluated, and
such a cell also carries Excel's quote prefix, so that editing it does not turn it into a formula either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any, Final
from urllib.parse import quote

import xlsxwriter

from market.kernel.clock import local

# Litestar adds "; charset=utf-8" to a text type itself.
CSV_TYPE: Final = "text/csv"
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM: Final = "\ufeff"
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# Excel's sheet names are at most 31 characters and may not contain these.
_SHEET_NAME_FORBIDDEN: Final = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


class Kind(StrEnum):
    """How a column's values are written."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"  # integer fen, shown as yuan with two decimals
    DECIMAL = "decimal"  # a score, shown with two decimals
    DATE = "date"
    DATETIME = "datetime"  # aware UTC, shown in Asia/Shanghai


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the message key of its header and the kind of its values."""

    header: str
    kind: Kind = Kind.TEXT


Row = Sequence[object]


def inert(text: str) -> str:
    """Text a spreadsheet shows as it is: a leading `'` where it would start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals, exactly: 123456 → "1234.56"."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def csv_cell(value: object, kind: Kind) -> str:
    """A value as its CSV text."""
    if value is None:
        return ""
    if kind is Kind.MONEY and isinstance(value, int):
        return yuan(value)
    if kind is Kind.DECIMAL and isinstance(value, Decimal | int):
        return str(Decimal(value).quantize(Decimal("0.01")))
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if kind is Kind.DATE and isinstance(value, date):
        return value.isoformat()
    if kind is Kind.INT and isinstance(value, int):
        return str(value)
    # A line break inside a (quoted) cell is CRLF too, as RFC 4180 writes it.
    return inert(str(value)).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    # RFC 4180: CRLF after every record, a field quoted when it holds a comma, a quote or a line break.
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return out.getvalue()


async def csv_chunks(
    columns: Sequence[Column], headers: Sequence[str], batches: AsyncIterator[Sequence[Row]]
) -> AsyncIterator[bytes]:
    """The sheet as CSV: the byte-order mark and the header line, then one chunk per batch as it is read."""
    yield (BOM + _csv_text([[inert(h) for h in headers]])).encode()
    async for batch in batches:
        text = _csv_text([csv_cell(v, c.kind) for v, c in zip(row, columns, strict=True)] for row in batch)
        if text:
            yield text.encode()


class XlsxSheet:
    """One worksheet written row by row in constant memory into `target` (a binary file, written on `close`)."""

    def __init__(self, target: IO[bytes], title: str, columns: Sequence[Column], headers: Sequence[str]) -> None:
        self.columns = columns
        # No cell is ever turned into a formula, a link or a number from its text: values are written by their kind.
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.sheet = self.book.add_worksheet(title.translate(_SHEET_NAME_FORBIDDEN)[:31])
        self.formats: dict[Kind | str, Any] = {
            Kind.MONEY: self.book.add_format({"num_format": "#,##0.00"}),
            Kind.DECIMAL: self.book.add_format({"num_format": "0.00"}),
            Kind.DATE: self.book.add_format({"num_format": "yyyy-mm-dd"}),
            Kind.DATETIME: self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "header": self.book.add_format({"bold": True}),
            "quoted": self.book.add_format({"quote_prefix": True}),
        }
        widths = {Kind.TEXT: 24, Kind.DATETIME: 17, Kind.DATE: 11, Kind.MONEY: 14}
        for i, column in enumerate(columns):
            self.sheet.set_column(i, i, widths.get(column.kind, 10))
        self.sheet.freeze_panes(1, 0)
        for i, header in enumerate(headers):
            self.sheet.write_string(0, i, header, self.formats["header"])
        self.row = 1

    def write(self, batch: Iterable[Row]) -> None:
        """Append rows (constant_memory: only ever below the rows already written)."""
        for values in batch:
            for i, (value, column) in enumerate(zip(values, self.columns, strict=True)):
                self._cell(i, value, column.kind)
            self.row += 1

    def _cell(self, col: int, value: object, kind: Kind) -> None:
        r, ws = self.row, self.sheet
        if value is None:
            return
        if kind is Kind.MONEY and isinstance(value, int):
            # A spreadsheet's numbers are binary floats; fen / 100 is the nearest one to the exact yuan amount.
            ws.write_number(r, col, value / 100, self.formats[Kind.MONEY])
        elif kind is Kind.DECIMAL and isinstance(value, Decimal | int):
            ws.write_number(r, col, float(value), self.formats[Kind.DECIMAL])
        elif kind is Kind.INT and isinstance(value, int):
            ws.write_number(r, col, value)
        elif kind is Kind.DATETIME and isinstance(value, datetime):
            ws.write_datetime(r, col, local(value).replace(tzinfo=None), self.formats[Kind.DATETIME])
        elif kind is Kind.DATE and isinstance(value, date):
            ws.write_datetime(r, col, datetime(value.year, value.month, value.day), self.formats[Kind.DATE])
        else:
            text = str(value)
            ws.write_string(r, col, text, self.formats["quoted"] if text.startswith(FORMULA_START) else None)

    def close(self) -> None:
        """Write the workbook into the target."""
        self.book.close()


def content_disposition(ascii_name: str, name: str) -> str:
    """`attachment` with a plain ASCII filename for old clients and the real one as UTF-8 (RFC 6266, RFC 8187)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
