"""``fundsim report`` on a Nanchuan batch of the baseline and the seed scenarios: all seven
chart kinds (eight with the early warnings) in Chinese and English, as PNG, SVG and PDF, report.xlsx and report.md, and no
missing-glyph warning from matplotlib; ``fundsim plot`` draws one chart, bad input exits 2."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xarray as xr

from fundsim.cli import main
from fundsim.plotting import charts, style
from fundsim.reporting.tables import SHEETS

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ("baseline", "drg", "procurement", "benefit-raise", "drg-procurement", "combined")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed scenarios on a 2% sample over 2021–2025, 6 runs each."""
    folder = tmp_path_factory.mktemp("report")
    small = ROOT / "tests" / "e2e" / "batch" / "small.yaml"
    files = []
    for name in SEEDS:
        path = folder / f"{name}.yaml"
        seed = ROOT / "scenarios" / "nanchuan" / f"{name}.yaml"
        path.write_text(
            f"extends: [{seed}, {small}]\nname: {name}\n"
            f"title: {{zh: {name}（测试）, en: {name} (test)}}\n",
            encoding="utf-8",
        )
        files.append(str(path))
    out = folder / "batch"
    options = ["--runs", "6", "--workers", "1", "--quiet", "--allow-outside", str(ROOT)]
    code = main(["run", *files, *options, "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tornado's results as `fundsim sensitivity` writes them (indices.csv and
    sensitivity.json): two inputs, three outcomes, one of which no input moves."""
    import json

    import pandas as pd

    folder = tmp_path_factory.mktemp("sensitivity")
    pd.DataFrame(
        {
            "outcome": ["urrbmi_pool.balance_2025"] * 2
            + ["urrbmi_pool.depletion_year"] * 2
            + ["uebmi_pool.reserve_months_2025"] * 2,
            "input": ["care.cost_trend", "economy.wage_growth"] * 3,
            "base": [3.1, 3.1, 2026.0, 2026.0, 30.0, 30.0],
            "low": [3.9, 3.0, 2026.0, 2026.0, 34.0, 28.0],
            "high": [2.2, 3.3, 2026.0, 2026.0, 25.0, 32.0],
        }
    ).assign(swing=lambda t: t["high"] - t["low"]).to_csv(folder / "indices.csv", index=False)
    meta = {"method": "tornado", "scenario": {"name": "baseline"}, "seed": 7, "points": 5,
            "horizon": [2021, 2025]}  # fmt: skip
    (folder / "sensitivity.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


ANALYSED = 2  # the outcomes an input moves: a table and a chart each; the third has a chart


def report(batch: Path, lang: str, analysis: Path | None = None) -> tuple[Path, list[str]]:
    extra = ["--sensitivity", str(analysis)] if analysis is not None else []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["report", str(batch), "--lang", lang, "--dpi", "60", *extra]) == 0
    place = batch if batch.is_dir() else batch.parent  # a batch folder or its results.nc
    return place / "report" / lang, [str(w.message) for w in caught]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_writes_every_kind_in_every_format_with_no_missing_glyph(
    batch: Path, lang: str, analysis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formats = ("png", "svg", "pdf")
    if lang == "en":  # the formats are the Chinese report's test; the English one's: PNG (time)
        import functools

        from fundsim.reporting import report as reporting

        formats = ("png",)
        monkeypatch.setattr(
            reporting, "write_report", functools.partial(reporting.write_report, formats=formats)
        )
    # the Chinese report with the results of a sensitivity analysis
    folder, messages = report(batch, lang, analysis if lang == "zh" else None)
    assert not [m for m in messages if "missing from font" in m]
    # only without a CJK font is a Chinese report drawn in English (with one warning)
    shown = "en" if lang == "zh" and style.cjk_font() is None else lang
    figures = folder / "figures" / shown
    for kind in charts.KINDS:
        for fmt in formats:
            found = list(figures.glob(f"{kind}_*.{fmt}")) + list(figures.glob(f"{kind}.{fmt}"))
            assert found, f"no {kind} chart as {fmt} in {figures}"
            assert all(p.stat().st_size > 1000 for p in found)
    book = openpyxl.load_workbook(folder / "report.xlsx")
    assert len(book.sheetnames) == (12 if lang == "zh" else 11)
    if lang == "zh":  # the indices, formatted, and the charts drawn again in every format
        sheet = book["敏感性分析" if shown == "zh" else "sensitivity"]
        assert sheet.max_row == 7 and sheet.cell(2, 3).number_format == "#,##0.00"
        assert len(list(figures.glob("sensitivity-tornado_*.pdf"))) == 3
    # the early warnings: each level's probability is its share of the runs
    sheet = "预警概率" if shown == "zh" else "early warnings"
    rows = list(book[sheet].iter_rows(values_only=True))
    head, first = rows[0], rows[1]
    ds = xr.open_dataset(batch / "results.nc", engine="h5netcdf")
    levels = ds["warning_level"].isel(scenario=0).sel(fund="uebmi_pool").isel(year=0).values
    red = head.index("红色预警概率" if shown == "zh" else "P(red)")
    assert first[red] == pytest.approx(round(float(np.mean(levels == 3)), 3))
    assert first[-1] == pytest.approx(round(float(np.mean(levels > 0)), 3))
    # fit to paste: headers frozen, numbers shown by format (the stored values exact)
    for name in book.sheetnames:
        assert book[name].freeze_panes == "A2", name
    key = book[book.sheetnames[0]]
    formats = {str(c.value): key.cell(row=2, column=c.column).number_format for c in key[1]}
    probability = next(h for h in formats if ("概率" if shown == "zh" else "P(") in h)
    assert formats[probability] == "0.0%"
    money = next(h for h in formats if ("亿元" if shown == "zh" else "million") in h or "万元" in h)
    assert formats[money] == "#,##0.00"
    depleted = book["穿底概率" if shown == "zh" else "P(depleted)"]
    assert depleted.cell(row=2, column=2).number_format == "0.0%"
    indicators = book["关键指标" if shown == "zh" else "key indicators"]
    rows = list(indicators.iter_rows(min_row=2))
    unit_at = [c.value for c in indicators[1]].index("单位" if shown == "zh" else "unit")
    for row in rows[:400]:
        unit, median = row[unit_at].value, row[unit_at + 2]
        expected = {"%": "0.0%", "元": "#,##0", "yuan": "#,##0", "月": "0.0", "months": "0.0"}
        assert median.number_format == expected.get(unit, "#,##0.00"), unit
    rate = [r for r in rows if r[2].value in ("当期结余率", "yearly balance over income")]
    assert rate and all(abs(r[unit_at + 2].value) < 2 for r in rate)  # a fraction, shown as %
    compare_sheet = book["方案比较" if shown == "zh" else "scenario comparison"]
    heads = [str(c.value) for c in compare_sheet[1]]
    assert any("P5" in h for h in heads) and any("P95" in h for h in heads)  # two numbers
    head = [c.value for c in book[book.sheetnames[1]][1]]
    unit = "亿元" if shown == "zh" else "million yuan"
    assert any(unit in str(h) or "万元" in str(h) or "thousand" in str(h) for h in head)
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert ("主要指标" if shown == "zh" else "Key figures") in text
    assert all(f"`{name}`" in text for name in SEEDS)
    # in words: what the baseline assumes after the published standards, and why each fund
    # does or does not run out, with the inputs that move it
    why = text.split("## " + ("基金为何穿底或不穿底" if shown == "zh" else "Why each fund"))[1]
    why = why.split("\n## ")[0]
    funds = [line for line in why.splitlines() if line.startswith("- ")]
    assert len(funds) == 5
    assert ("已公布标准之后的假设" if shown == "zh" else "After the last published values") in text
    assert ("每年增长6.4%" if shown == "zh" else "grows 6.4% a year") in text
    # the waterfall follows the chain of levers, one reform at a time
    waterfall = book[SHEETS["waterfall"][shown]]
    steps = [row[1] for row in waterfall.iter_rows(min_row=2, values_only=True)]
    assert len(steps) == 2 * 4  # two pooled funds × (start + three levers)


def test_a_bad_sensitivity_folder_exits_2_before_anything_is_written(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    args = ["report", str(batch), "--out", str(out), "--sensitivity", str(tmp_path)]
    assert main(args) == 2
    assert "no indices.csv there" in capsys.readouterr().err and not out.exists()
    (tmp_path / "indices.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(args) == 2
    assert "not fundsim's" in capsys.readouterr().err and not out.exists()


def test_plot_draws_one_chart_and_bad_input_exits_2(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fan.svg"
    assert main(["plot", str(batch), "--kind", "fan", "--format", "svg", "--out", str(target)]) == 0
    assert target.stat().st_size > 1000
    assert main(["plot", str(batch), "--kind", "fan", "--fund", "nope"]) == 2
    assert "no fund 'nope'" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "missing"), "--kind", "fan"]) == 2
    assert "no such results file" in capsys.readouterr().err
    (tmp_path / "junk.nc").write_text("not netcdf")
    assert main(["plot", str(tmp_path / "junk.nc"), "--kind", "fan"]) == 2
    assert "not a readable results file" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*partial*"))


def test_a_report_replaces_only_a_report_fundsim_wrote(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its default place is fundsim's own: written again freely. Elsewhere (--out) an
    earlier report is replaced only with --force, and a folder holding anything fundsim
    did not write never is."""
    import functools

    from fundsim.reporting import report as reporting
    from fundsim.results import read_results

    # the rules are the command's, whatever it draws: its charts as PNG only (time)
    png = functools.partial(reporting.write_report, formats=("png",))
    monkeypatch.setattr(reporting, "write_report", png)

    # the batch's first scenario alone: fewer charts, the same rules
    one = tmp_path / "one" / "results.nc"
    one.parent.mkdir()
    read_results(batch).isel(scenario=[0]).to_netcdf(one, engine="h5netcdf")
    folder, _ = report(one, "en")
    again, _ = report(one, "en")
    assert again == folder and (folder / ".fundsim").exists() and (folder / "report.md").exists()
    out = tmp_path / "chosen"
    args = ["report", str(one), "--lang", "en", "--dpi", "50", "--out", str(out)]
    assert main(args) == 0 and (out / ".fundsim").exists()
    capsys.readouterr()
    assert main(args) == 2 and "--force" in capsys.readouterr().err
    written = (out / "report.md").stat().st_mtime_ns
    assert main([*args, "--force"]) == 0
    assert (out / "report.md").stat().st_mtime_ns != written
    (out / "figures" / "my-own.png").write_bytes(b"a picture of the user's")
    assert main([*args, "--force"]) == 2
    assert "figures/my-own.png" in capsys.readouterr().err
    assert (out / "figures" / "my-own.png").read_bytes() == b"a picture of the user's"


def test_plot_replaces_its_own_chart_only_with_force(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fan.png"
    args = ["plot", str(batch), "--kind", "fan", "--dpi", "50", "--out", str(target)]
    assert main(args) == 0
    assert b"fundsim " in target.read_bytes()  # tagged as fundsim's in its metadata
    assert main(args) == 2 and "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_document_holds_every_table_and_chart(
    batch: Path, lang: str, tmp_path: Path, analysis: Path
) -> None:
    import shutil
    import subprocess

    from docx import Document

    folder = batch / "report" / lang
    if not (folder / "report.docx").exists():  # the report of the test above, when it ran
        folder, _ = report(batch, lang, analysis if lang == "zh" else None)
    shown = "en" if lang == "zh" and style.cjk_font() is None else lang
    doc = Document(str(folder / "report.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    wanted = (
        ["主要结论", "主要指标", "预警概率", "关键指标", "方案比较与政策贡献", "敏感性分析",
         "样本外检验", "图表", "假设与参数来源", "方法说明"]
        if shown == "zh"
        else ["Key findings", "Key figures", "Early-warning probabilities", "Key indicators",
              "Scenarios compared", "Sensitivity analysis", "Out-of-sample record", "Charts",
              "Assumptions", "Method"]
    )  # fmt: skip
    # Nanchuan has a history and the report no record: the section says so (issue 29)
    with_analysis = lang == "zh"  # the Chinese report was written with --sensitivity
    if not with_analysis:
        wanted.remove("Sensitivity analysis")
    assert len(headings) == len(wanted)
    assert all(w in h for w, h in zip(wanted, headings, strict=True)), headings
    # every chart of the report, embedded; every table: key figures, warnings, indicators,
    # the comparison, the policy contributions and the assumptions
    charts = list((folder / "figures" / shown).glob("*.png"))
    assert len(doc.inline_shapes) == len(charts) > 20
    assert len(doc.tables) == 6 + (ANALYSED if with_analysis else 0)
    if with_analysis:  # the outcome no input moves has no table; the rest, largest first
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "12个不确定输入" not in text and ("2个" in text or "2 uncertain" in text)
        first = doc.tables[5]
        assert len(first.rows) == 3 and first.rows[1].cells[-1].text == "-1.70"
    assumptions = doc.tables[-1]
    assert len(assumptions.rows) > 200  # every parameter, with its source and kind
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "20260101" in text or "seed" in text.lower() or "种子" in text
    converter = shutil.which("soffice") or shutil.which("libreoffice")
    if converter is None:
        pytest.skip(
            "no LibreOffice here to convert report.docx to PDF (the document itself is checked)"
        )
    subprocess.run(
        [converter, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(folder / "report.docx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = tmp_path / "report.pdf"
    assert pdf.stat().st_size > 100_000


def _record(folder: Path) -> Path:
    """A made-up out-of-sample record: two origins, horizons 1-2, the median 3% off."""
    from fundsim.evaluation.record import write_csv
    from fundsim.evaluation.scores import score

    rng = np.random.default_rng(5)
    scored = []
    for origin in (2018, 2019):
        for h in (1, 2):
            actual = 1e8 * 1.05 ** (origin + h - 2018)
            runs = actual * 1.03 * np.exp(rng.normal(0, 0.05, 50))
            past = {origin - 1: actual / 1.05 ** (h + 1), origin: actual / 1.05**h}
            scored.append(
                score("town", "urrbmi_pool", "income", origin, origin + h, actual, runs, past, rng)
            )
    path = folder / "rolling.csv"
    write_csv(scored, path)
    return path


def test_a_report_carries_the_out_of_sample_record_or_says_it_has_none(
    batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    from fundsim.reporting import report as reporting

    # PNG only, at a low resolution: the formats are the first test's (time)
    monkeypatch.setattr(
        reporting, "write_report", functools.partial(reporting.write_report, formats=("png",))
    )
    record = _record(tmp_path)
    out = tmp_path / "with"
    args = ["--dpi", "60"]
    assert main(["report", str(batch), "--record", str(record), "--out", str(out), *args]) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    section = text.split("## 样本外检验", 1)[1].split("\n## ", 1)[0]
    assert "town的2个预测起点" in section and "提前2年" in section
    assert "按近年增长外推" in section  # the naive forecasts beside
    assert (out / "figures" / "zh" / "record.png").is_file()
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert "样本外检验" in book.sheetnames
    sheet = book["样本外检验"]  # numbers a planner can compute with, shown as percentages
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert isinstance(first["数据个数"].value, int)
    cover = first["80%区间覆盖"]
    assert isinstance(cover.value, (int, float)) and 0 <= cover.value <= 1
    assert cover.number_format == "0.0%"
    from docx import Document

    words = "\n".join(p.text for p in Document(str(out / "report.docx")).paragraphs)
    assert "样本外检验" in words and "town的2个预测起点" in words
    # without a record: a region with history says it has none of its own, and how to make one
    bare = tmp_path / "bare"
    assert main(["report", str(batch), "--out", str(bare), "--lang", "en", *args]) == 0
    text = (bare / "report.md").read_text(encoding="utf-8")
    assert "no out-of-sample record of its own region" in text and "--rolling" in text


def test_a_bad_record_exits_2_before_anything_is_written(batch: Path, tmp_path: Path) -> None:
    bad = tmp_path / "other.csv"
    bad.write_text("year,value\n2020,1\n", encoding="utf-8")
    out = tmp_path / "never"
    assert main(["report", str(batch), "--record", str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    assert main(["report", str(batch), "--record", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert not out.exists()
    broken = tmp_path / "broken.csv"
    text = _record(tmp_path).read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace("True", "maybe", 1).replace("False", "maybe", 1)
    broken.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert main(["report", str(batch), "--record", str(broken), "--out", str(out)]) == 2
    assert not out.exists()
