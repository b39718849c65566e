"""``report.docx``: the report as a document a bureau can put in its plan (python-docx).

python-docx writes the document from code: every table and chart of the report in one file,
with no template to keep beside fundsim and nothing outside Python; Word, WPS and LibreOffice
read it. Sections: title and batch; key findings in words (what runs out, when, with what
probability and why, and the early warnings); the key figures; the early-warning table; the
key indicators; the comparison and the policy contributions of a multi-scenario batch; every
chart with its caption; the assumptions (every parameter of the first scenario with its value,
source and kind: a local figure, a national default or an inference); the method.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from ..plotting.style import Lang, scenario_titles
from ..plotting.text import REPORT
from ..results import headline
from ..results.workbook import MONTHS, PERCENT, header_format

TEXT: dict[str, dict[str, Any]] = {
    "findings": {"zh": "主要结论", "en": "Key findings"},
    "warnings": {"zh": "预警", "en": "Early warnings"},
    "key": {"zh": "主要指标", "en": "Key figures"},
    "warning_table": {"zh": "预警概率", "en": "Early-warning probabilities"},
    "indicators": {"zh": "关键指标", "en": "Key indicators"},
    "compare": {
        "zh": "方案比较与政策贡献",
        "en": "Scenarios compared, and each policy's part",
    },
    "charts": {"zh": "图表", "en": "Charts"},
    "sensitivity": {"zh": "敏感性分析", "en": "Sensitivity analysis"},
    "record": {"zh": "样本外检验", "en": "Out-of-sample record"},
    "assumptions": {"zh": "假设与参数来源", "en": "Assumptions and their sources"},
    "method": {"zh": "方法说明", "en": "Method"},
    "figure": {"zh": "图{n}", "en": "Figure {n}"},
    "kind_local": {"zh": "本地数据", "en": "local figure"},
    "kind_default": {"zh": "全国默认", "en": "national default"},
    "kind_inferred": {"zh": "推断/假设", "en": "inferred or assumed"},
    "no_scenario": {
        "zh": "未能读取情景文件（{file}），参数及来源见情景YAML。",
        "en": "The scenario file ({file}) could not be read; its YAML lists every parameter and source.",
    },
    "param_head": {
        "zh": ("参数", "说明", "取值", "类型", "来源"),
        "en": ("parameter", "meaning", "value", "kind", "source"),
    },
    "method_lines": {
        "zh": (
            "离散事件模拟（SimPy）：逐人模拟参保人口老龄化、住院与门诊、地区待遇政策、缴费与结算日历，"
            "全部收支记入基金账簿（每个账户每期：期末=期初+收入−支出）。",
            "蒙特卡洛：{runs}次模拟，种子{seed}；各方案第r次模拟使用相同的随机数（共同随机数），"
            "方案间差异为配对差异。",
            "fundsim {version}（{commit}），批次创建于{created}。",
        ),
        "en": (
            "Discrete-event simulation (SimPy) of each insured person's ageing, admissions and "
            "outpatient care, the region's benefit rules, contributions and the settlement "
            "calendar, all posted to the funds' ledger (for every account and period: closing = "
            "opening + income − expenditure).",
            "Monte Carlo: {runs} runs, seed {seed}; run r of every scenario draws the same "
            "random numbers (common random numbers), so differences between scenarios are paired.",
            "fundsim {version} ({commit}), batch created {created}.",
        ),
    },
    "hash": {"zh": "情景文件及校验值（SHA-256）：", "en": "Scenario files and their SHA-256:"},
}
NUMERALS = "一二三四五六七八九十"
KIND_NAMES = {
    "fan": ("累计结余", "balance"),
    "depletion": ("穿底概率", "probability of depletion"),
    "income-expenditure": ("当期收支", "income and expenditure"),
    "reserve": ("可支付月数", "reserve months"),
    "cashflow": ("月度现金流", "monthly cash"),
    "warnings": ("预警概率", "early warnings"),
    "compare": ("方案比较", "scenarios compared"),
    "waterfall": ("政策贡献", "each policy's part"),
    "draws": ("风险调剂金", "the city's reserve"),
}
MAX_TABLE_ROWS = 400  # a longer table is in report.xlsx; the document shows its first rows
# characters XML 1.0 cannot hold (python-docx refuses them): from a hand-made manifest or
# sensitivity table, never from fundsim's own texts
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """``text`` as a document can hold it: a character XML forbids shown as U+FFFD."""
    return NOT_XML.sub("\ufffd", str(text))


class _Document:
    """A python-docx document whose paragraphs and headings take any text (:func:`xml_text`)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def add_paragraph(self, text: object = "", style: str | None = None) -> Any:
        return self.doc.add_paragraph(xml_text(text), style)

    def add_heading(self, text: object = "", level: int = 1) -> Any:
        return self.doc.add_heading(xml_text(text), level)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.doc, name)


def write_docx(
    path: Path,
    ds: xr.Dataset,
    lang: Lang,
    sheets: dict[str, pd.DataFrame],
    figures: Sequence[Path],
    manifest: dict[str, Any] | None,
    sheet_names: dict[str, str],
    analysis: tuple[str, list[tuple[str, pd.DataFrame]], Sequence[Path]] | None = None,
    record: tuple[list[str], pd.DataFrame | None, Sequence[Path]] | None = None,
) -> None:
    """Write ``report.docx`` at ``path``: the sheets (by their keys in ``sheet_names``), the PNG
    ``figures`` and the words of the headline; with a sensitivity ``analysis``: what was
    analysed (a sentence), its table as printed and its charts."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = _Document(Document())
    count = [0]

    def section(key: str) -> None:
        """A numbered section heading (一、二、… or 1. 2. …)."""
        count[0] += 1
        n = count[0]
        number = f"{NUMERALS[n - 1]}、" if lang == "zh" else f"{n}. "
        doc.add_heading(number + TEXT[key][lang], level=1)

    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    if lang == "zh":  # East Asian text in a Chinese font (Word's own fallback otherwise)
        from docx.oxml.ns import qn

        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "宋体")
    meta = manifest or {}
    years = ds["year"].values
    doc.add_heading(REPORT["title"][lang], level=0)
    doc.add_paragraph(
        REPORT["batch"][lang].format(
            runs=ds.sizes["run"],
            seed=meta.get("seed", "?"),
            first=int(years[0]),
            last=int(years[-1]),
        )
    )
    titles = scenario_titles(ds, lang, short=False)
    for name, title in titles.items():
        doc.add_paragraph(
            f"{title}（{name}）" if lang == "zh" else f"{title} ({name})", style="List Bullet"
        )

    section("findings")
    for i, name in enumerate(titles):
        if len(titles) > 1:
            doc.add_heading(titles[name], level=2)
        for line in headline.explain(ds, lang, scenario=i):
            doc.add_paragraph(line, style="List Bullet")
        warned = headline.warning_lines(ds, lang, 0.5, scenario=i)
        if warned:
            doc.add_paragraph(TEXT["warnings"][lang] + ("：" if lang == "zh" else ":"))
            for line in warned:
                doc.add_paragraph(line, style="List Bullet 2")

    sections = (
        ("key", ("key",)),
        ("warning_table", ("warnings",)),
        ("indicators", ("indicators",)),
        ("compare", ("compare", "waterfall")),
    )
    for heading, keys in sections:
        present = [sheet_names[k] for k in keys if sheet_names.get(k) in sheets]
        if not present:
            continue
        section(heading)
        for sheet in present:
            if len(present) > 1:
                doc.add_heading(sheet, level=2)
            _table(doc, _shown(sheets[sheet], ds, lang))

    n = 0
    if analysis is not None:
        about, indices, analysed = analysis
        section("sensitivity")
        doc.add_paragraph(about)
        for outcome, rows in indices:  # each outcome's inputs, the largest effect first
            doc.add_heading(outcome, level=2)
            _table(doc, rows)
        for figure in analysed:
            n += 1
            doc.add_picture(str(figure), width=Cm(16))
            caption = TEXT["figure"][lang].format(n=n) + "  " + _analysed_caption(figure.stem, lang)
            doc.add_paragraph(caption).runs[0].font.size = Pt(9)

    if record is not None:
        sentences, table, drawn = record
        section("record")
        for line in sentences:
            doc.add_paragraph(line.replace("**", ""))
        if table is not None:
            _table(doc, table)
        for figure in drawn:
            n += 1
            doc.add_picture(str(figure), width=Cm(16))
            caption = TEXT["figure"][lang].format(n=n) + "  " + TEXT["record"][lang]
            doc.add_paragraph(caption).runs[0].font.size = Pt(9)

    section("charts")
    for figure in [f for f in figures if f.suffix == ".png"]:
        n += 1
        doc.add_picture(str(figure), width=Cm(16))
        caption = TEXT["figure"][lang].format(n=n) + "  " + _caption(figure.stem, titles, lang)
        doc.add_paragraph(caption).runs[0].font.size = Pt(9)

    section("assumptions")
    _assumptions(doc, meta, lang)

    section("method")
    for line in TEXT["method_lines"][lang]:
        doc.add_paragraph(
            line.format(
                runs=ds.sizes["run"],
                seed=meta.get("seed", "?"),
                version=meta.get("fundsim_version", "?"),
                commit=str(meta.get("git_commit", "?"))[:12],
                created=meta.get("created", "?"),
            )
        )
    doc.add_paragraph(TEXT["hash"][lang])
    for name, entry in dict(meta.get("scenarios", {})).items():
        doc.add_paragraph(
            f"{name}: {entry.get('file')}  {entry.get('sha256')}", style="List Bullet"
        )
    # built in memory, then written in one call: a disk that refuses the write raises here,
    # and leaves no half-written zip archive to fail again (and print) when it is collected
    archive = io.BytesIO()
    doc.save(archive)
    path.write_bytes(archive.getvalue())


def _analysed_caption(stem: str, lang: Lang) -> str:
    """A sensitivity chart's caption from its file name (method_outcome)."""
    from ..plotting.sensitivity import outcome_name

    method, _, outcome = stem.removeprefix("sensitivity-").partition("_")
    what = {"tornado": ("龙卷风图", "tornado"), "sobol": ("Sobol指数", "Sobol indices"),
            "morris": ("Morris μ*", "Morris μ*")}.get(method, (method, method))  # fmt: skip
    try:
        name = outcome_name(outcome, lang)
    except (KeyError, ValueError):
        name = outcome
    return f"{what[0]}：{name}" if lang == "zh" else f"{what[1]}: {name}"


def _caption(stem: str, titles: dict[str, str], lang: Lang) -> str:
    """A chart's caption from its file name (kind_scenario_fund): what it shows, for which
    fund and scenario."""
    from ..codes import ALL_ACCOUNT_CODES, labels

    kind = next((k for k in sorted(KIND_NAMES, key=len, reverse=True) if stem.startswith(k)), "")
    rest = stem[len(kind) :].strip("_")
    funds = labels(ALL_ACCOUNT_CODES, lang)
    fund = next((f for f in funds if rest.endswith(f)), "")
    scenario = rest[: len(rest) - len(fund)].strip("_") if fund else rest
    what = KIND_NAMES[kind][0 if lang == "zh" else 1] if kind else stem
    details = [funds[fund]] if fund else []
    if scenario in titles:
        details.append(titles[scenario])
    if not details:
        return what
    return f"{what}（{'，'.join(details)}）" if lang == "zh" else f"{what} ({', '.join(details)})"


def _shown(table: pd.DataFrame, ds: xr.Dataset, lang: Lang) -> pd.DataFrame:
    """A table as the document shows it: numbers rounded for reading (the workbook keeps them
    exact), the key indicators at the first, middle and last year only."""
    years = [int(y) for y in ds["year"].values]
    year_head = "年份" if lang == "zh" else "year"
    scenario_head = "方案" if lang == "zh" else "scenario"
    if scenario_head in table.columns:
        if ds.sizes["scenario"] == 1:  # the one scenario is named at the top
            table = table.drop(columns=scenario_head)
        else:  # the short titles: a column of long ones makes every row tall
            full = scenario_titles(ds, lang, short=False)
            short = scenario_titles(ds, lang, short=True)
            table = table.assign(**{scenario_head: table[scenario_head].map(
                {full[n]: short[n] for n in full}
            )})  # fmt: skip
    if year_head in table.columns and len(table) > 60:
        keep = {years[0], years[len(years) // 2], years[-1]}
        table = table[table[year_head].isin(keep)]
    return table.head(MAX_TABLE_ROWS)


def _table(doc: Any, table: pd.DataFrame, widths: Sequence[float] | None = None) -> None:
    """``table`` as a Word table (header row first), text at 8 points; ``widths`` in cm."""
    from docx.shared import Cm, Pt

    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Light Grid Accent 1"
    formats = []
    for j, head in enumerate(table.columns):
        grid.rows[0].cells[j].text = xml_text(head)
        formats.append(header_format(str(head)))
    for row in table.itertuples(index=False):
        cells = grid.add_row().cells
        for j, value in enumerate(row):
            cells[j].text = xml_text(_cell(value, formats[j]))
    if widths is None:  # by the text each column holds: no name broken in the middle
        widths = _widths(grid)
    grid.autofit = False
    for j, column in enumerate(grid.columns):  # the grid's widths, which LibreOffice reads
        column.width = Cm(widths[j])
    for row in grid.rows:
        for j, cell in enumerate(row.cells):
            cell.width = Cm(widths[j])
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


TEXT_WIDTH = 16.0  # cm: an A4 page's text width


def _widths(grid: Any) -> list[float]:
    """Column widths [cm] in proportion to the longest word-free run of each column's text
    (a CJK character counts two), within the page's text width."""
    from ..results.workbook import text_width

    need = []
    for j in range(len(grid.columns)):
        texts = [row.cells[j].text for row in grid.rows[:60]]
        longest = max((text_width(t) for t in texts[1:]), default=0)  # the body; a header wraps
        head = max((text_width(w) for w in texts[0].split()), default=0) if texts else 0
        need.append(min(max(longest, head // 2, 5), 30) + 3)  # and the cell's margins
    total = sum(need)
    return [TEXT_WIDTH * n / total for n in need]


def _cell(value: object, fmt: str | None = None) -> str:
    """A table cell as text: probabilities as percentages, money with two decimals."""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if fmt == PERCENT:
            return f"{value:.1%}"
        if fmt == MONTHS:
            return f"{value:,.1f}"
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def _assumptions(doc: Any, meta: dict[str, Any], lang: Lang) -> None:
    """Every parameter of the first scenario on its first day: value, source and kind."""
    from ..scenario.loader import load_scenario

    scenarios = dict(meta.get("scenarios", {}))
    if not scenarios:
        doc.add_paragraph(TEXT["no_scenario"][lang].format(file="?"))
        return
    file = str(next(iter(scenarios.values())).get("file", ""))
    # the folders the batch was allowed to read beyond the scenario's project, as it ran
    line = [str(a) for a in meta.get("command_line", [])]
    allowed = [line[i + 1] for i, a in enumerate(line[:-1]) if a == "--allow-outside"]
    try:
        scenario = load_scenario(file, allowed)
    except Exception:  # the file moved or changed since the batch: said, not fatal
        doc.add_paragraph(TEXT["no_scenario"][lang].format(file=file))
        return
    from ..parameters.catalogue import load_catalogue

    catalogue = load_catalogue()
    rows = []
    for path, timeline in scenario.tree.explain():
        step = timeline.steps[0]
        source = step.origin.source or ""
        if step.origin.role == "default":
            kind = TEXT["kind_default"][lang]
        elif "INFERRED" in source or "ASSUMPTION" in source:
            kind = TEXT["kind_inferred"][lang]
        else:
            kind = TEXT["kind_local"][lang]
        entry = catalogue.entries.get(path)
        meaning = (entry.description_zh if lang == "zh" else entry.description) if entry else ""
        rows.append((path, meaning, _value(step.value), kind, source))
    head = TEXT["param_head"][lang]
    _table(doc, pd.DataFrame(rows, columns=list(head)), widths=(3.6, 3.4, 2.0, 1.8, 6.2))


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:g}"
    return str(value)
