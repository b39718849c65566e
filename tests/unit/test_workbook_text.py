"""Texts in workbooks and documents: whatever a (hand-made) results file or manifest holds,
a workbook and a document are written whole, a text stays a text (never a formula), and a
character XML cannot hold is shown as U+FFFD rather than failing halfway (issue 28)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from fundsim.reporting.document import xml_text
from fundsim.results.workbook import write_sheet


def test_a_sheet_holds_any_text_and_never_a_formula(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "方案": ["\x1b]0;pwned\x07南川", '=HYPERLINK("http://x")', "plain"],
            "概率\x01": [0.1, 0.2, 0.3],
        }
    )
    path = tmp_path / "t.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        write_sheet(writer, table, "表")
    sheet = openpyxl.load_workbook(path)["表"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["方案", "概率\ufffd"]
    assert [r[0] for r in rows[1:]] == [
        "\ufffd]0;pwned\ufffd南川",
        '=HYPERLINK("http://x")',
        "plain",
    ]
    assert {c.data_type for row in sheet.iter_rows(min_col=1, max_col=1) for c in row} == {"s"}
    assert sheet["B2"].number_format == "0.0%"  # the header's unit still formats the column


def test_document_text_keeps_what_xml_can_hold() -> None:
    assert xml_text("a\x1bb\x00c\td\ne") == "a\ufffdb\ufffdc\td\ne"
    assert xml_text(5) == "5"
