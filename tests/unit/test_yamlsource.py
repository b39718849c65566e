from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fundsim.source.diagnostics import Collector
from fundsim.source.document import read_yaml


def read(tmp_path: Path, text: str) -> tuple[object, Collector]:
    file = tmp_path / "s.yaml"
    file.write_text(text, encoding="utf-8")
    problems = Collector()
    return read_yaml(file, problems), problems


def test_positions_of_keys_and_items(tmp_path: Path) -> None:
    doc, problems = read(
        tmp_path, "a:\n  b: 1\n  c:\n    - x\n    - y\npolicy:\n  p.q:\n    2025-01-01: 0.5\n"
    )
    assert not problems.items
    assert doc.locations[("a", "b")] == (2, 3)
    assert doc.locations[("a", "c", 1)] == (5, 7)
    assert doc.line_of(("policy", "p.q", "2025-01-01")) == 8
    assert doc.line_of(("policy", "p.q", "2025-01-01", "deeper")) == 8  # nearest ancestor


def test_keys_stay_text_values_are_typed(tmp_path: Path) -> None:
    doc, _ = read(tmp_path, "2025-01-01: 2025-01-01\nyes_key: yes\nn: 3\nf: 0.5\n")
    assert doc.data == {"2025-01-01": dt.date(2025, 1, 1), "yes_key": True, "n": 3, "f": 0.5}


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\n")
    assert doc is None
    [error] = problems.items
    assert (error.line, error.path) == (4, "b.c")
    assert "first defined on line 3" in error.message


def test_aliases_are_expanded_but_merge_keys_refused(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: &x {b: 1}\nc: *x\n")
    assert doc.data == {"a": {"b": 1}, "c": {"b": 1}} and not problems.items
    doc, problems = read(tmp_path, "a: &x {b: 1}\nc:\n  <<: *x\n")
    assert doc is None and "merge keys" in problems.items[0].message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "bom.yaml"
    file.write_bytes("\ufeffname: 南川\n".encode())
    problems = Collector()
    assert read_yaml(file, problems).data == {"name": "南川"}


def test_two_documents_are_an_error(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: 1\n---\nb: 2\n")
    assert doc is None and "invalid YAML" in problems.items[0].message


@pytest.mark.parametrize(
    ("written", "read_as", "hint"),
    [
        ("010", "8", "write 10 if you mean 10"),
        ("-010", "-8", "write -10 if you mean -10"),
        ("0x10", "16", "write 16 if you mean 16"),
        ("0b11", "3", "write 3 if you mean 3"),
        ("1:30", "90", "write the number in decimal"),
        ("1:30.5", "90.5", "write the number in decimal"),
        ("1_000", "1000", "write 1000 if you mean 1000"),
        ("0.0_5", "0.05", "write 0.05 if you mean 0.05"),
    ],
)
def test_yaml_1_1_number_forms_are_refused_where_written(
    tmp_path: Path, written: str, read_as: str, hint: str
) -> None:
    doc, problems = read(tmp_path, f"name: x\npolicy:\n  a.b: {{2022-01-01: {written}}}\n")
    assert doc is None
    [error] = problems.items
    assert (error.line, error.column, error.path) == (3, 21, "policy.a.b.2022-01-01")
    assert f"'{written}' is " in error.message and f"read as {read_as}," in error.message
    assert hint in error.hint and "quotes if it is text" in error.hint


def test_decimal_numbers_and_quoted_forms_are_read(tmp_path: Path) -> None:
    doc, problems = read(
        tmp_path, "a: [0, -0, 10, +5, 0.5, 00.5, 1.5e-3, '010', \"1:30\", 09, 2025-01-01]\n"
    )
    assert not problems.items
    assert doc.data["a"] == [
        0,
        0,
        10,
        5,
        0.5,
        0.5,
        1.5e-3,
        "010",
        "1:30",
        "09",
        dt.date(2025, 1, 1),
    ]


def test_control_characters_in_text_are_refused_at_their_place(tmp_path: Path) -> None:
    # escaped in a double-quoted string: YAML reads them, the text check refuses them
    doc, problems = read(
        tmp_path, 'name: x\ntitle: {zh: "\\e]0;pwned\\a", en: ok}\nsource: "a\\tb"\nd: "a\\nb"\n'
    )
    assert doc is None
    found = [(e.line, e.column, e.path, e.message) for e in problems.items]
    assert found == [
        (2, 13, "title.zh", "holds a control character U+001B (ESC)"),
        (3, 9, "source", "holds a control character U+0009 (TAB)"),
        (4, 4, "d", "holds a control character U+000A (LF)"),
    ]
    assert all("\x1b" not in e.format() for e in problems.items)  # never printed raw
    doc, _ = read(tmp_path, 'title: {zh: "南川\\u0085", en: "\\x9b2J"}\n')
    assert doc is None  # C1 too


def test_a_raw_control_byte_is_located(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "name: x\ndescription: {zh: a\x1b[31mred, en: x}\n")
    assert doc is None
    [error] = problems.items
    assert (error.line, error.column) == (2, 20)
    assert error.message == "holds a control character U+001B (ESC)"
    assert "\n" not in error.format()


def test_a_key_holding_an_invisible_character_is_named(tmp_path: Path) -> None:
    # no-break spaces are no indentation to YAML: the key is a top-level one
    doc, problems = read(tmp_path, "policy:\n\xa0\xa0payment.drg.share: 1\n")
    assert doc is None
    [error] = problems.items
    assert (error.line, error.column) == (2, 1)
    assert "'\\xa0\\xa0payment.drg.share' holds U+00A0 (NO-BREAK SPACE)" in error.message
    doc, problems = read(tmp_path, "a\u200bb: 1\n")
    assert doc is None and "U+200B (ZERO WIDTH SPACE)" in problems.items[0].message


def test_printable_text_is_kept_as_written(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "title: {zh: '$\\frac{$ 南川\u3000区', en: 'cost $5 \xa0'}\n")
    assert not problems.items
    assert doc.data == {"title": {"zh": "$\\frac{$ 南川\u3000区", "en": "cost $5 \xa0"}}
