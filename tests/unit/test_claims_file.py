"""``fundsim benefit`` on a claims file: read in chunks (the same bytes out as one piece), in
UTF-8 or GB18030, located errors at their true lines, formula cells neutralised in the
output, and the output rule (never a file of the user's, never half-written)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fundsim.benefits.calculator import (
    OUTPUT,
    calculate,
    check_claims,
    is_settled_claims,
    settle_claims,
)
from fundsim.benefits.claimsfile import FORMULA_STARTS, neutralised, read_claims
from fundsim.benefits.outpatient import VisitTotals, settle_visits
from fundsim.benefits.settling import Paid, settle_arrays
from fundsim.cli import main
from fundsim.cli.benefit import CHUNK_ENV
from fundsim.scenario.loader import load_scenario
from fundsim.source.diagnostics import Collector

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "yangjiang" / "baseline.yaml"
HEADER = "person,date,scheme,retired,level,total,non_insured,class_b,tcm,special_group,filing,kind,days,transfer"
NAMES = np.array(["张三", "李四", "王五", "赵六·甲", "陈七", "刘八", "杨九", "黄十"], dtype=object)


def claims_table(n: int, persons: int, seed: int) -> pd.DataFrame:
    """``n`` valid claims of ``persons`` people (Chinese names) over 2023 and 2024, in random
    order: stays (some out of area), outpatient and 两病 visits, bills large enough to reach
    the annual caps and tiers."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{NAMES[i % len(NAMES)]}{i}" for i in range(persons)], dtype=object)
    resident = rng.random(persons) < 0.5
    who = rng.integers(0, persons, n)
    urrbmi = resident[who]
    kind = np.where(rng.random(n) < 0.5, 0, np.where(urrbmi & (rng.random(n) < 0.3), 2, 1))
    stay = kind == 0
    level = np.where(stay, rng.integers(0, 5, n), rng.integers(0, 4, n))
    away = level == 4
    total = np.round(np.where(stay, rng.lognormal(10.5, 1.0, n), rng.lognormal(6, 1, n)), 2)
    return pd.DataFrame(
        {
            "person": ids[who],
            "date": (np.datetime64("2023-01-01") + rng.integers(0, 731, n)).astype(str),
            "scheme": np.where(urrbmi, "urrbmi", "uebmi"),
            "retired": (~urrbmi & (who % 3 == 0)).astype(int),
            "level": np.array(["community", "level1", "level2", "level3", "out_of_area"])[level],
            "total": total,
            "non_insured": np.round(total * rng.random(n) * 0.2, 2),
            "class_b": np.round(total * rng.random(n) * 0.1, 2),
            "tcm": (stay & (rng.random(n) < 0.2)).astype(int),
            "special_group": np.where(
                urrbmi, np.array(["none", "extreme_poverty", "low_income"])[who % 3], "none"
            ),
            "filing": np.where(
                away, np.array(["filed", "unfiled", "emergency", "transfer"])[who % 4], "local"
            ),
            "kind": np.array(["inpatient", "outpatient", "two_diseases"])[kind],
            "days": np.where(stay, rng.integers(1, 40, n), 0),
            "transfer": (stay & ~away & (rng.random(n) < 0.2)).astype(int),
        }
    )


def settle_file(
    claims: Path, out: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, *more: str
) -> int:
    monkeypatch.setenv(CHUNK_ENV, str(chunk))
    return main(["benefit", str(SCENARIO), "--claims", str(claims), "--out", str(out), *more])


def leftovers(folder: Path) -> list[str]:
    """Temporary files fundsim left in ``folder``."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_chunks_give_the_bytes_of_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    table = claims_table(900, 25, seed=3)  # 36 claims a person, over two years
    claims = tmp_path / "claims.csv"
    table.to_csv(claims, index=False)
    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    assert settle_file(claims, whole, monkeypatch, 10**6) == 0
    # 7 claims a chunk and a batch: every person's claims of a year spread over many
    assert settle_file(claims, chunked, monkeypatch, 7) == 0
    assert chunked.read_bytes() == whole.read_bytes()
    # the same bytes as the table interface settling the whole file at once
    problems = Collector()
    typed = check_claims(table.astype(str), "claims.csv", problems)
    assert not problems.items
    at_once = settle_claims(load_scenario(SCENARIO).tree, typed)
    assert whole.read_bytes() == at_once.to_csv(index=False).encode("utf-8-sig")
    # and before rounding, float for float
    tree = load_scenario(SCENARIO).tree
    horizon = (tree.start, tree.end)
    one = settle_arrays(tree, read_claims(claims, "c", horizon, rows=10**6).claims, 10**6)
    many = settle_arrays(tree, read_claims(claims, "c", horizon, rows=7).claims, 7)
    for name in ("policy_range", "deductible", "fund", "layer", "assistance", "patient"):
        assert getattr(many, name).tobytes() == getattr(one, name).tobytes(), name
    paid = pd.read_csv(whole, encoding="utf-8-sig")
    # the running totals matter here: caps and second layers are reached
    assert (paid["high_cost"] > 0).any() and (paid["critical_illness"] > 0).any()
    said = capsys.readouterr().out
    stays = int((table["kind"] == "inpatient").sum())
    assert said.count(f"900 claims ({stays} stays, {900 - stays} outpatient) of 25 persons") == 2


def test_visits_cut_into_batches_at_persons_get_the_payments_of_one_call() -> None:
    rng = np.random.default_rng(8)
    n = 400
    person = np.sort(rng.integers(0, 40, n))
    first = np.concatenate([[True], person[1:] != person[:-1]])
    total = np.round(rng.lognormal(6, 1.5, n), 2)
    terms = {
        "visit_deductible": np.full(n, 10.0),
        "deductible": np.full(n, 200.0),
        "ratio": np.full(n, 0.55),
        "cap": np.full(n, 2500.0),
    }
    zero = VisitTotals(np.zeros(n), np.zeros(n))
    whole = settle_visits(first, total, total * 0.9, terms, zero)
    starts = np.flatnonzero(first)
    cuts = [int(starts[10]), int(starts[25])]
    carry = (0.0, 0.0)
    parts = []
    for rows in np.split(np.arange(n), cuts):
        t = {k: v[rows] for k, v in terms.items()}
        z = VisitTotals(np.zeros(len(rows)), np.zeros(len(rows)))
        part = settle_visits(first[rows], total[rows], total[rows] * 0.9, t, z, carry)
        carry = part.carry
        parts.append(part)
    for name in ("deductible", "fund", "patient"):
        batched = np.concatenate([getattr(p, name) for p in parts])
        assert batched.tobytes() == getattr(whole, name).tobytes(), name
    assert (whole.fund < total * 0.9 * 0.55 - 1e-9).any()  # some caps reached: totals matter


def test_formula_cells_are_written_as_text_and_numbers_stay_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [
        "=1+1",
        "+1+1",
        "-1+1",
        "@SUM(1)",
        '=HYPERLINK("http://x","y")',
        "=cmd|' /C calc'!A0",
        "'=1+1",  # a different person from =1+1, who stays different when written
        "-35",
        "p1",
    ]
    table = pd.DataFrame(
        {
            "person": [p for p in people for _ in range(2)],
            "date": ["2023-03-01", "2023-09-01"] * len(people),
            "scheme": "urrbmi",
            "retired": 0,
            "level": "level3",
            "total": [150_000.5, 150_000] * len(people),
            "non_insured": 0,
            "class_b": 0,
        }
    )
    claims = tmp_path / "claims.csv"
    table.to_csv(claims, index=False)
    out = tmp_path / "paid.csv"
    assert settle_file(claims, out, monkeypatch, 3) == 0
    text = out.read_text(encoding="utf-8-sig")
    written = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert written["person"].tolist() == [p if p == "p1" else "'" + p for p in table["person"]]
    numeric = ["retired", "total", "non_insured", "class_b", "tcm", "days", "transfer", *OUTPUT]
    for column in numeric:  # every cell a number as written: none quoted, none text
        cells = written[column]
        assert not cells.str.startswith("'").any(), column
        pd.to_numeric(cells, errors="raise")
    for column in set(written.columns) - set(numeric):
        assert not written[column].str.startswith(FORMULA_STARTS[:-1]).any(), column
    # grouped by the ids as given: each person's two stays pay what p1's two stays pay
    paid = pd.read_csv(out, encoding="utf-8-sig")
    for name in OUTPUT:
        assert paid[name].nunique() <= 2 and paid[name].iloc[1] == paid[name].iloc[-1], name
    assert paid["fund"].iloc[0] > paid["fund"].iloc[1]  # the second stay meets the annual cap


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "'"])
def test_a_text_cell_starting_a_formula_gets_a_quote(start: str) -> None:
    assert neutralised(f"{start}1+1") == f"'{start}1+1"
    assert neutralised(f"a{start}1") == f"a{start}1"  # only a leading one is a formula


def test_a_formula_in_a_choice_column_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "person,date,scheme,retired,level,total,kind\n"
        "a,2023-03-01,urrbmi,0,=1+1,1000,inpatient\n"
        "b,2023-03-01,urrbmi,0,level2,1000,@SUM(1)\n",
        encoding="utf-8",
    )
    out = tmp_path / "paid.csv"
    assert settle_file(claims, out, monkeypatch, 1) == 2
    err = capsys.readouterr().err
    assert "claims.csv:2: error: level: '=1+1' is not one of" in err
    assert "claims.csv:3: error: kind: '@SUM(1)' is not one of" in err
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_gb18030_file_settles_as_its_utf8_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = claims_table(120, 9, seed=5).to_csv(index=False)
    gbk = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")  # a real GBK file: not UTF-8 as well
    files = {
        "utf8.csv": text.encode("utf-8"),
        "bom.csv": text.encode("utf-8-sig"),
        "gbk.csv": gbk,
    }
    written = {}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        out = tmp_path / f"paid-{name}"
        assert settle_file(tmp_path / name, out, monkeypatch, 50) == 0
        written[name] = out.read_bytes()
        said = capsys.readouterr().out
        encoding = {"utf8.csv": "UTF-8\n", "bom.csv": "UTF-8 (BOM)", "gbk.csv": "GB18030"}[name]
        assert f"读取编码 / encoding: {encoding}" in said
    assert written["gbk.csv"] == written["utf8.csv"] == written["bom.csv"]
    assert written["gbk.csv"].startswith(b"\xef\xbb\xbf")  # the output: UTF-8 with BOM
    assert "张三0" in written["gbk.csv"].decode("utf-8-sig")


def test_a_file_neither_utf8_nor_gb18030_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_bytes(
        b"person,date,scheme,retired,level,total\n"
        b"a,2023-01-05,urrbmi,0,level1,1000\n"
        b"b\x80c,2023-01-05,urrbmi,0,level1,1000\n"  # 0x80: neither UTF-8 nor GB18030
    )
    assert settle_file(claims, tmp_path / "paid.csv", monkeypatch, 10) == 2
    err = capsys.readouterr().err
    offset = claims.read_bytes().index(b"\x80")
    assert f"claims.csv:3:2: error: the file is neither UTF-8 (byte 0x80 at offset {offset}" in err
    assert "nor GB18030/GBK" in err and "请另存为UTF-8" in err and "Traceback" not in err
    assert not (tmp_path / "paid.csv").exists()


def test_errors_keep_their_lines_in_later_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ["a,2023-01-05,urrbmi,0,level1,1000"] * 80
    rows[37] = "b,2023-02-30,urrbmi,0,level1,1000"  # line 40 (the header and a blank before)
    rows[55] = "c,2023-03-01,urrbmi,0,level9,1000"  # line 58
    rows[70] = "d,2012-03-01,urrbmi,0,level1,1000"  # line 73: outside the horizon
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "person,date,scheme,retired,level,total\n" + rows[0] + "\n\n" + "\n".join(rows[1:]) + "\n",
        encoding="utf-8",
    )
    assert settle_file(claims, tmp_path / "paid.csv", monkeypatch, 10) == 2
    err = capsys.readouterr().err
    assert "claims.csv:40: error: date: '2023-02-30' is not a date" in err
    assert "claims.csv:58: error: level: 'level9' is not one of" in err
    assert "claims.csv:73: error: date: '2012-03-01' lies outside" in err
    assert len(err.strip().splitlines()) == 3


def test_at_most_twenty_errors_of_a_kind_are_shown_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "person,date,scheme,retired,level,total\n"
        + "a,2023-01-05,urrbmi,0,level1,-1\n" * 45
        + "a,2023-01-05,urrbmi,0,level7,1000\n",
        encoding="utf-8",
    )
    assert settle_file(claims, tmp_path / "paid.csv", monkeypatch, 4) == 2
    err = capsys.readouterr().err.strip().splitlines()
    totals = [line for line in err if "total: '-1'" in line]
    assert len(totals) == 20 and "claims.csv:21: error" in totals[-1]
    assert any("claims.csv:47: error: level: 'level7'" in line for line in err)
    # the 25 not shown are counted, once, after the file's located errors
    (more,) = [line for line in err if "more such errors" in line]
    assert "claims.csv: error: total: … and 25 more such errors" in more
    assert err.index(more) > max(err.index(line) for line in totals)


@pytest.mark.parametrize("text", ["nan", "NaN", "null", "None", "n/a", "NA"])
@pytest.mark.parametrize("column", ["class_b", "filing", "kind", "special_group", "tcm"])
def test_only_an_empty_cell_is_an_optional_columns_default(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    column: str,
    text: str,
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        f"person,date,scheme,retired,level,total,{column}\n"
        "a,2023-01-05,urrbmi,0,level1,1000,\n"  # empty: the default
        "a,2023-01-06,urrbmi,0,level1,1000,  \n"  # spaces: empty too
        f"a,2023-01-07,urrbmi,0,level1,1000,{text}\n",
        encoding="utf-8",
    )
    assert settle_file(claims, tmp_path / "paid.csv", monkeypatch, 10) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"claims.csv:4: error: {column}: '{text}' is not" in err[0]
    assert not (tmp_path / "paid.csv").exists()


def test_a_missing_value_of_a_table_is_its_columns_default() -> None:
    scenario = load_scenario(SCENARIO)
    claims = pd.DataFrame(
        {
            "person": ["a", "b"],
            "date": ["2023-01-05", "2023-01-06"],
            "scheme": ["urrbmi", "urrbmi"],
            "retired": [0, 0],
            "level": ["level1", "level1"],
            "total": [1000.0, 1000.0],
            "class_b": [np.nan, 0.0],
            "filing": [None, "local"],
        }
    )
    paid = calculate(scenario, claims)
    assert paid["fund"].iloc[0] == paid["fund"].iloc[1]


def test_out_at_a_file_of_the_users_is_never_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims_table(20, 3, seed=1).to_csv(claims, index=False)
    mine = tmp_path / "mine.csv"
    mine.write_text("person,date,scheme,retired,level,total\nmy,2023-01-01,uebmi,0,level1,1\n")
    before = mine.read_bytes()
    assert settle_file(claims, mine, monkeypatch, 10, "--force") == 2
    err = capsys.readouterr().err
    assert "is not a settled claims file" in err and "不是fundsim写的文件" in err
    assert mine.read_bytes() == before and leftovers(tmp_path) == []


def test_out_at_the_claims_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims_table(20, 3, seed=1).to_csv(claims, index=False)
    before = claims.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(claims)
    assert settle_file(claims, claims, monkeypatch, 10, "--force") == 2
    err = capsys.readouterr().err
    assert "that is (or holds) the input" in err and "输出位置不能是输入文件" in err
    assert settle_file(claims, link, monkeypatch, 10, "--force") == 2  # never through a link
    assert "never writes through a link" in capsys.readouterr().err
    assert claims.read_bytes() == before and leftovers(tmp_path) == []


def test_a_settled_claims_file_is_replaced_with_force_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    claims_table(20, 3, seed=1).to_csv(first, index=False)
    claims_table(30, 4, seed=2).to_csv(second, index=False)
    out = tmp_path / "paid.csv"
    assert settle_file(first, out, monkeypatch, 10) == 0
    assert is_settled_claims(out)
    before = out.read_bytes()
    assert settle_file(second, out, monkeypatch, 10) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    assert settle_file(second, out, monkeypatch, 10, "--force") == 0
    assert out.read_bytes() != before and len(pd.read_csv(out, encoding="utf-8-sig")) == 30
    assert leftovers(tmp_path) == []


def test_a_bad_row_late_in_the_file_leaves_the_output_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims_table(50, 5, seed=1).to_csv(claims, index=False)
    out = tmp_path / "paid.csv"
    assert settle_file(claims, out, monkeypatch, 10) == 0
    before = out.read_bytes()
    with open(claims, "a", encoding="utf-8") as handle:  # line 52, the sixth chunk
        handle.write("z,2023-01-05,urrbmi,0,level1,1000,0,0,0,none,local,outpatient,3,0\n")
    assert settle_file(claims, out, monkeypatch, 10, "--force") == 2
    assert "claims.csv:52: error: kind: 'outpatient' is a visit" in capsys.readouterr().err
    assert out.read_bytes() == before and leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_no_output_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims_table(50, 5, seed=1).to_csv(claims, index=False)
    out = tmp_path / "paid.csv"
    assert settle_file(claims, out, monkeypatch, 10) == 0
    before = out.read_bytes()
    columns = Paid.columns
    calls = []

    def fails_third_time(paid: Paid, *args: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 3:  # two chunks written, then a bug
            raise RuntimeError("a bug while writing")
        return columns(paid, *args)

    monkeypatch.setattr(Paid, "columns", fails_third_time)
    assert settle_file(claims, out, monkeypatch, 10, "--force") == 1
    assert "internal error: RuntimeError: a bug while writing" in capsys.readouterr().err
    assert out.read_bytes() == before and leftovers(tmp_path) == []
    new = tmp_path / "new.csv"
    calls.clear()
    assert settle_file(claims, new, monkeypatch, 10) == 1
    assert not new.exists() and leftovers(tmp_path) == []


def test_the_recogniser_reads_the_header_alone(tmp_path: Path) -> None:
    header = HEADER + "," + ",".join(OUTPUT)
    cases = {
        "ours.csv": ("\ufeff" + header + "\r\nx\n", True),
        "no-bom.csv": (header + "\n", True),
        "old.csv": ("person,date,scheme,retired,level,total," + ",".join(OUTPUT) + "\n", True),
        "claims.csv": (HEADER + "\n", False),
        "outputs-first.csv": (",".join(OUTPUT) + "," + HEADER + "\n", False),
        "twice.csv": ("person,person,date,scheme,retired,level,total," + ",".join(OUTPUT), False),
        "other.csv": ("a,b," + ",".join(OUTPUT) + "\n", False),
        "empty.csv": ("", False),
    }
    for name, (text, ours) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert is_settled_claims(tmp_path / name) is ours, name
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00" * 100)
    assert not is_settled_claims(tmp_path / "binary.csv")
    os.symlink(tmp_path / "ours.csv", tmp_path / "link.csv")
    assert not is_settled_claims(tmp_path / "link.csv")
    assert not is_settled_claims(tmp_path)


def test_a_bad_chunk_size_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims_table(5, 2, seed=1).to_csv(claims, index=False)
    monkeypatch.setenv(CHUNK_ENV, "0")
    assert main(["benefit", str(SCENARIO), "--claims", str(claims)]) == 2
    assert f"{CHUNK_ENV}='0'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            "a,2023-01-05,urrbmi,0,level1,1000,7\n",
            "the first claim has more fields than the header",
        ),
        (
            "a,2023-01-05,urrbmi,0,level1,1000\n" * 12 + "b,2023-01-05,urrbmi,0,level1,1,2,3\n",
            "Expected 6 fields in line 14, saw 8",
        ),
    ],
)
def test_a_line_with_more_fields_than_the_header_is_an_input_error(
    rows: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text("person,date,scheme,retired,level,total\n" + rows, encoding="utf-8")
    assert settle_file(claims, tmp_path / "paid.csv", monkeypatch, 5) == 2
    err = capsys.readouterr().err
    assert said in err and ("每行的字段数" in err or "第一行数据的字段" in err)
    assert "Traceback" not in err and not (tmp_path / "paid.csv").exists()
