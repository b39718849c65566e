"""Workbooks fit to paste into a planning document: each sheet's header row frozen, columns
as wide as their text, and numbers shown by number format (the stored value exact): money in
亿元 or 万元 with two decimals, probabilities and rates as percentages, months with one
decimal, years as plain integers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

PERCENT = "0.0%"
MONEY = "#,##0.00"
MONTHS = "0.0"
WHOLE = "#,##0"
# a header's unit -> its number format (checked in order: the first that matches)
HEADER_FORMATS = (
    (re.compile(r"概率|比例|率|P\(|share|probability"), PERCENT),
    (re.compile(r"亿元|万元|million|thousand|yuan"), MONEY),
    (re.compile(r"月）|\[months\]|（月|months"), MONTHS),
)
# a row's unit (the ``unit`` column of a long table) -> its number format
UNIT_FORMATS = {
    "%": PERCENT,
    "亿元": MONEY,
    "100 million yuan": MONEY,
    "万元": MONEY,
    "万人": MONEY,
    "10,000 persons": MONEY,
    "元": WHOLE,
    "yuan": WHOLE,
    "月": MONTHS,
    "months": MONTHS,
    "": MONEY,
}
UNIT_HEADERS = ("单位", "unit")
NOT_FORMATTED = re.compile(r"^(年份|year|方案|scenario|基金|fund|指标|indicator|单位|unit)$")


def header_format(header: str) -> str | None:
    """The number format a column's header asks for (None: leave it as it is)."""
    if NOT_FORMATTED.match(header):
        return None
    for pattern, fmt in HEADER_FORMATS:
        if pattern.search(header):
            return fmt
    return None


def write_sheet(
    writer: pd.ExcelWriter,
    table: pd.DataFrame,
    name: str,
    formats: Mapping[str, str] | None = None,
) -> None:
    """Write ``table`` as sheet ``name`` (at most 31 characters) with its header frozen, its
    columns sized and its numbers formatted: by ``formats`` (column -> format), else by the
    column's header, and in a long table with a unit column by each row's unit."""
    sheet_name = name[:31]
    table = _plain(table)
    table.to_excel(writer, sheet_name=sheet_name, index=False)
    sheet: Any = writer.sheets[sheet_name]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # a text starting with '=' is text here, not a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    headers = [str(c) for c in table.columns]
    unit_column = next((i for i, h in enumerate(headers) if h in UNIT_HEADERS), None)
    chosen = dict(formats or {})
    for j, header in enumerate(headers):
        column = sheet.column_dimensions[_letter(j)]
        values = table.iloc[:, j]
        width = max([text_width(header), *(text_width(_shown(v)) for v in values.head(200))])
        column.width = min(max(width + 2, 8), 60)
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric:
            continue
        fmt = chosen.get(header) or header_format(header)
        for i in range(len(table)):
            cell = sheet.cell(row=i + 2, column=j + 1)
            row_fmt = fmt
            if unit_column is not None and header not in ("年份", "year"):
                row_fmt = UNIT_FORMATS.get(str(table.iloc[i, unit_column]), fmt)
            if row_fmt is not None:
                cell.number_format = row_fmt


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text (headers too) as a workbook can hold it: a character XML
    forbids (a control character from a hand-made results file) shown as U+FFFD, never the
    writer's IllegalCharacterError halfway through a workbook."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value

    texts = [
        c
        for c in table.columns
        if table[c].dtype == object or pd.api.types.is_string_dtype(table[c].dtype)
    ]
    if not texts and not any(isinstance(c, str) for c in table.columns):
        return table
    out = table.copy()
    for column in texts:
        out[column] = out[column].map(clean)
    out.columns = [clean(c) for c in table.columns]
    return out


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(j + 1))


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def text_width(text: str) -> int:
    """Columns a text needs: a CJK character two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
