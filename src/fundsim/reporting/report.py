"""``fundsim report``: every standard chart in PNG, SVG and PDF, ``report.xlsx`` (one sheet per
table, headers with units) and ``report.md`` (the key figures), in Chinese or English.

Charts (under ``figures/<lang>/``): a fan chart per scenario and pooled fund; for the
baseline (the first scenario) income-expenditure, reserve and cashflow per pooled fund; the
depletion chart per scenario; compare per pooled fund; a waterfall per pooled fund along the
chain of levers (:func:`~fundsim.plotting.charts.lever_chain`) when the batch has one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xarray as xr

from ..codes import POOL_ACCOUNTS, POOLS
from ..evaluation.scores import Scored
from ..places import Output, Writing, check_name, mark
from ..plotting.charts import lever_chain
from ..plotting.figures import FORMATS, figure, write_figure
from ..plotting.record import write_record_chart
from ..plotting.sensitivity import write_sensitivity_charts
from ..plotting.style import FUNDS_SHOWN, Lang, language, scenario_titles
from ..plotting.text import REPORT
from ..results import headline
from ..results.areas import area_label
from ..results.workbook import PERCENT, write_sheet
from .areas import SHEET as AREA_SHEET
from .sensitivity import (
    Sensitivity,
    document_tables,
    number_formats,
    shown_table,
    summary_line,
)
from .tables import SHEETS, tables

SENSITIVITY_SHEET = ("敏感性分析", "sensitivity")
SENSITIVITY_PREFIX = "sensitivity-"  # the charts of fundsim sensitivity among the report's


def chart_list(ds: xr.Dataset) -> list[tuple[str, dict[str, object]]]:
    """(kind, arguments) of every chart of the report."""
    names = [str(s) for s in ds["scenario"].values]
    funds = [str(f) for f in ds["fund"].values if str(f) in FUNDS_SHOWN]
    charts: list[tuple[str, dict[str, object]]] = []
    for s in names:
        charts += [("fan", {"fund": f, "scenario": s}) for f in funds]
        charts.append(("depletion", {"scenario": s}))
    for kind in ("income-expenditure", "reserve", "cashflow", "warnings"):
        for f in funds:
            months = ds["reserve_months"].sel(scenario=names[0], fund=f)
            if kind == "reserve" and bool(months.isnull().all()):  # a fund that spends nothing
                continue
            if kind == "warnings" and (f not in POOL_ACCOUNTS or "warning_level" not in ds):
                continue  # warnings are the pooled funds' (and results made before them hold none)
            charts.append((kind, {"fund": f, "scenario": names[0]}))
    if len(names) > 1:
        charts += [("compare", {"fund": f}) for f in funds]
    if len(lever_chain(ds)) > 1:
        charts += [("waterfall", {"fund": f}) for f in funds]
    return charts


def _stem(kind: str, args: dict[str, object]) -> str:
    """A chart's file name; names from the results must be plain (no '/' or '..')."""
    parts = [kind] + [
        check_name(str(args[k]), k, "the results") for k in ("scenario", "fund") if k in args
    ]
    return "_".join(parts)


def write_report(
    ds: xr.Dataset,
    folder: Path,
    lang: str = "zh",
    formats: Sequence[str] = FORMATS,
    dpi: int = 200,
    manifest: dict[str, object] | None = None,
    replace: bool = False,
    areas: pd.DataFrame | None = None,
    city: xr.Dataset | None = None,
    sensitivity: Sensitivity | None = None,
    record: Sequence[Scored] | None = None,
) -> list[Path]:
    """Write the report into ``folder``: built beside it, marked as fundsim's, then moved into
    place in one step; a failure leaves nothing behind. ``sensitivity``: results of
    ``fundsim sensitivity`` to report too (their table and charts). ``record``: the forecast's
    out-of-sample record (scored figures of a rolling backtest or of ``fundsim score``); a
    region with history and no record is said to have none.

    ``replace``: whether an existing report fundsim wrote at ``folder`` may be replaced (a
    folder holding anything else never is: :func:`~fundsim.results.places.check_replaceable`).
    """
    output = Output(Path(folder).absolute(), "report", replace)
    output.check()
    shown = language(lang)
    with Writing() as writing:
        partial = writing.stage(output)
        figures = _write_contents(
            ds, partial, shown, formats, dpi, manifest, areas, city, sensitivity, record
        )
        relative = [p.relative_to(partial) for p in figures]
    folder = output.target
    written = [folder / p for p in relative]
    written += [folder / "report.xlsx", folder / "report.md", folder / "report.docx"]
    return written


def _write_contents(
    ds: xr.Dataset,
    partial: Path,
    shown: Lang,
    formats: Sequence[str],
    dpi: int,
    manifest: dict[str, object] | None,
    areas: pd.DataFrame | None = None,
    city: xr.Dataset | None = None,
    sensitivity: Sensitivity | None = None,
    record: Sequence[Scored] | None = None,
) -> list[Path]:
    figures: list[Path] = []
    if city is not None:  # the reserve: every area's draws
        for pool in POOLS:
            for s in [str(x) for x in city["scenario"].values]:
                fig, used = figure(city, "draws", shown, pool.account, s)
                named: dict[str, object] = {"fund": pool.account, "scenario": s}
                stem = partial / "figures" / shown / _stem("draws", named)
                figures += write_figure(fig, used, stem, formats, dpi)
    for kind, args in chart_list(ds):
        fig, used = figure(ds, kind, shown, **args)  # type: ignore[arg-type]
        paths = write_figure(
            fig, used, partial / "figures" / shown / _stem(kind, args), formats, dpi
        )
        figures += paths
    sheets = tables(ds, shown)
    if areas is not None:  # a city's: every area, whichever the report shows
        sheets[AREA_SHEET[0 if shown == "zh" else 1]] = areas
    analysed: list[Path] = []  # the sensitivity charts
    if sensitivity is not None:
        sheets[SENSITIVITY_SHEET[0 if shown == "zh" else 1]] = shown_table(sensitivity.table, shown)
        # drawn again from its table: in the report's language, formats and resolution
        analysed = write_sensitivity_charts(
            sensitivity.table,
            sensitivity.method,
            partial / "figures" / shown,
            shown,
            formats,
            dpi,
            prefix=SENSITIVITY_PREFIX,
        )
    checked = record_section(ds, record, shown)
    recorded: list[Path] = []
    if record:
        sheets[RECORD_SHEET[0 if shown == "zh" else 1]] = record_table(record, shown)
        recorded = write_record_chart(
            record, partial / "figures" / shown / "record", shown, formats, dpi
        )
    with pd.ExcelWriter(partial / "report.xlsx", engine="openpyxl") as writer:
        for name, table in sheets.items():
            # the depletion sheet's columns are years holding probabilities
            years = {str(c): PERCENT for c in table.columns if isinstance(c, int)}
            numbers = years if name == SHEETS["depleted"][shown] else None
            if sensitivity is not None and name == SENSITIVITY_SHEET[0 if shown == "zh" else 1]:
                numbers = number_formats(sensitivity.table, shown)
            if record and name == RECORD_SHEET[0 if shown == "zh" else 1]:
                table, numbers = record_numbers(record, shown)  # cells to compute with
            write_sheet(writer, table, name, numbers)
    (partial / "report.md").write_text(
        _markdown(
            ds, shown, sheets, figures + analysed + recorded, partial, manifest, areas, checked
        ),
        encoding="utf-8",
    )
    from .document import write_docx

    names = {key: SHEETS[key][shown] for key in SHEETS}
    pictures = [f for f in figures if f.suffix == ".png"]
    if not pictures:  # the document embeds PNG: draw them when the report has none
        for kind, args in chart_list(ds):
            fig, used = figure(ds, kind, shown, **args)  # type: ignore[arg-type]
            pictures += write_figure(
                fig, used, partial / ".docx" / _stem(kind, args), ("png",), 150
            )
    analysis = (
        (
            summary_line(sensitivity, shown),
            document_tables(sensitivity, shown),
            [f for f in analysed if f.suffix == ".png"] or _pngs(sensitivity, partial, shown),
        )
        if sensitivity is not None
        else None
    )
    out_of_sample = None
    if checked is not None:
        pngs = [f for f in recorded if f.suffix == ".png"]
        if record and not pngs:
            pngs = write_record_chart(record, partial / ".docx" / "record", shown)
        table = sheets.get(RECORD_SHEET[0 if shown == "zh" else 1])
        out_of_sample = (checked, table, pngs)
    write_docx(
        partial / "report.docx", ds, shown, sheets, pictures, manifest, names, analysis,
        out_of_sample,
    )  # fmt: skip
    shutil.rmtree(partial / ".docx", ignore_errors=True)
    mark(partial, "report")
    return figures + analysed + recorded


def _pngs(sensitivity: Sensitivity, partial: Path, lang: Lang) -> list[Path]:
    """The sensitivity charts as PNG for the document, when the report draws none."""
    return write_sensitivity_charts(
        sensitivity.table, sensitivity.method, partial / ".docx", lang, prefix=SENSITIVITY_PREFIX
    )


def _markdown(
    ds: xr.Dataset,
    lang: Lang,
    sheets: dict[str, pd.DataFrame],
    figures: list[Path],
    root: Path,
    manifest: dict[str, object] | None,
    areas: pd.DataFrame | None = None,
    checked: list[str] | None = None,
) -> str:
    years = ds["year"].values
    meta = manifest or {}
    lines = [
        f"# {REPORT['title'][lang]}",
        "",
        REPORT["batch"][lang].format(
            runs=ds.sizes["run"],
            seed=meta.get("seed", "?"),
            first=int(years[0]),
            last=int(years[-1]),
        ),
        "",
    ]
    titles = scenario_titles(ds, lang, short=False)
    lines += [f"- `{n}`: {titles[n]}" for n in titles]
    lines += ["", f"## {REPORT['scenarios'][lang]}", ""]
    for i, n in enumerate(titles):
        lines += [f"### {titles[n]}", ""]
        for key in ("description", "assumptions"):
            coord = f"scenario_{key}_{lang}"
            text = str(ds[coord].values[i]) if coord in ds.coords else ""
            if not text:
                continue
            if key == "assumptions":
                lines += [REPORT["assumes"][lang], ""]
                lines += [f"- {line}" for line in text.splitlines()]
            else:
                lines.append(text)
            lines.append("")
    why = headline.explain(ds, lang)
    if why:
        lines += [f"## {REPORT['why'][lang]}", ""]
        lines += [f"- {line}" for line in why]
        lines.append("")
    lines += [
        "",
        f"## {REPORT['key_figures'][lang]}",
        "",
        _md_table(sheets[SHEETS["key"][lang]]),
        "",
    ]
    if areas is not None:
        shown = area_label(ds, str(ds.attrs.get("area", "total")), lang)
        lines += [
            f"## {AREA_SHEET[0 if lang == 'zh' else 1]}",
            "",
            (
                f"本报告的图表为：{shown}。"
                if lang == "zh"
                else f"The charts of this report show: {shown}."
            ),
            "",
            _md_table(areas),
            "",
        ]
    if checked is not None:
        lines += [f"## {RECORD_SHEET[0 if lang == 'zh' else 1]}", ""]
        for sentence in checked:
            lines += [sentence, ""]
        table = sheets.get(RECORD_SHEET[0 if lang == "zh" else 1])
        if table is not None:
            lines += [_md_table(table), ""]
    lines += [f"## {REPORT['charts'][lang]}", ""]
    stems: dict[Path, list[str]] = {}
    for p in figures:
        stems.setdefault(p.with_suffix(""), []).append(p.suffix[1:])
    for stem, kinds in stems.items():
        rel = stem.relative_to(root).as_posix()
        lines.append(f"- `{rel}`: " + ", ".join(f"[{k}]({rel}.{k})" for k in kinds))
    lines += ["", f"## {REPORT['tables'][lang]}", ""]
    lines += [f"- {name}" for name in sheets]
    return "\n".join(lines) + "\n"


def _md_table(table: pd.DataFrame) -> str:
    """A pandas table as Markdown (no extra dependency)."""
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def read_manifest(results: Path) -> dict[str, object] | None:
    """The batch's ``manifest.json`` beside its results, or None when there is none that
    reads as one (not JSON, not an object); a part of the wrong shape (its scenarios not a
    mapping of mappings, its command line not a list of texts) is left out, as if not
    recorded, rather than read as something it is not."""
    path = (
        results.parent / "manifest.json" if results.suffix == ".nc" else results / "manifest.json"
    )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    scenarios = manifest.get("scenarios")
    entries = list(scenarios.values()) if isinstance(scenarios, dict) else scenarios
    if scenarios is not None and not (
        isinstance(entries, list) and all(isinstance(e, dict) for e in entries)
    ):
        del manifest["scenarios"]
    line = manifest.get("command_line")
    if line is not None and not (isinstance(line, list) and all(isinstance(a, str) for a in line)):
        del manifest["command_line"]
    return manifest


RECORD_SHEET = ("样本外检验", "out of sample")


def record_section(ds: xr.Dataset, record: Sequence[Scored] | None, lang: Lang) -> list[str] | None:
    """The out-of-sample record's sentences: how the forecast did against later actuals and
    the naive forecasts, and where it loses; for a region with history and no record, that it
    has none and how to make one; None for a region without history."""
    from ..evaluation.record import losses, verdict

    if record:
        first = min(s.origin for s in record)
        last = max(s.year for s in record)
        n_origins = len({(s.region, s.origin) for s in record})
        regions = sorted({s.region for s in record})
        if lang == "zh":
            about = (
                f"以下为{'、'.join(regions)}的{n_origins}个预测起点（{first}年起）对截至{last}年"
                "实际数据的样本外检验：每个起点只用当时已知的数据重建、校准和预测，再与之后公布的实际值比较。"
            )
        else:
            about = (
                f"The out-of-sample record of {', '.join(regions)}: {n_origins} origin(s) from "
                f"{first}, each rebuilt, calibrated and forecast from what was known then, scored "
                f"against the actuals published up to {last}."
            )
        lines = [about, verdict(record, lang)]
        lost = losses(record, lang)
        if lost:
            lines.append(f"**{lost}**")
        return lines
    if "history" not in ds.attrs:
        return None
    if lang == "zh":
        lines = [
            "本预测没有本地区的样本外检验记录：校准的拟合优度只说明模型能重现用于校准的历史数据，不说明其预测能力。"
            "历史数据足够时（至少一个年末有两项制度的参保人数和累计结存，且此前有3年收支数据），"
            "可运行 `fundsim backtest 地区文件夹 --rolling --out 目录`，再以 `fundsim report … --record 目录/rolling.csv` 写入报告。"
        ]
    else:
        lines = [
            "This forecast has no out-of-sample record of its own region: a good fit to the history "
            "it was calibrated on says nothing of how well it forecasts. Where the history allows (a "
            "year end with both schemes' insured and balances, and three years of income and "
            "spending before it), run `fundsim backtest REGION_DIR --rolling --out DIR` and report "
            "with `--record DIR/rolling.csv`."
        ]
    corpus = corpus_record()
    if corpus:
        names = "、".join(sorted({s.region for s in corpus}))
        origins = len({(s.region, s.origin) for s in corpus})
        lines.append(
            f"同一方法在检验样本其他地区（{names}，{origins}个预测起点，未针对任何地区调参）的样本外表现："
            + verdict(corpus, "zh")
            if lang == "zh"
            else f"The same method on the evaluation corpus ({names.replace('、', ', ')}, "
            f"{origins} origins, no region tuned), out of sample: " + verdict(corpus, "en")
        )
    return lines


CORPUS_RECORD = Path(__file__).resolve().parents[1] / "templates" / "corpus_record.csv"


def corpus_record() -> list[Scored]:
    """The method's out-of-sample record on the evaluation corpus, as
    ``scripts/evaluate_corpus.py`` last wrote it (none when it has not)."""
    from ..evaluation.record import read_csv

    return read_csv(CORPUS_RECORD) if CORPUS_RECORD.is_file() else []


def record_numbers(record: Sequence[Scored], lang: Lang) -> tuple[pd.DataFrame, dict[str, str]]:
    """The record's table for the workbook: numbers, shares formatted as percentages (the
    skill with its sign), the count as a whole number."""
    from ..evaluation.record import HEAD, table_values

    head = list(HEAD[lang])
    table = pd.DataFrame(table_values(record, lang), columns=head)
    formats = {h: PERCENT for h in head[2:]} | {head[1]: "0", head[8]: "+0%;-0%;0%"}
    return table, formats


def record_table(record: Sequence[Scored], lang: Lang) -> pd.DataFrame:
    """The record's table: every figure, each horizon, each series."""
    from ..evaluation.record import HEAD, table_rows

    return pd.DataFrame(table_rows(record, lang), columns=list(HEAD[lang]))
