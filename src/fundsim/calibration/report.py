"""The tables and words of a calibration or a backtest: a CSV and a Markdown page (zh, en)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .fit import Fit
from .identify import Identification, identify
from .observe import label
from .run import QUANTILES, Plan, bounds_of, write_text

COLUMNS = ["year", "fund", "indicator", "actual", *(f"p{round(q * 100):02d}" for q in QUANTILES)]


def _csv(rows: Sequence[Mapping[str, Any]], extra: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [*COLUMNS, *extra]
    writer.writerow(names)
    for r in rows:
        writer.writerow(
            [
                f"{r[n]:.6g}" if isinstance(r[n], float) and not isinstance(r[n], bool) else r[n]
                for n in names
            ]
        )
    return out.getvalue()


def coverage(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Share of actuals inside the 50%, 80% and 90% bands; mean absolute % error of the median."""
    if not rows:
        return {
            "n": 0,
            "inside_50": math.nan,
            "inside_80": math.nan,
            "inside_90": math.nan,
            "mape": math.nan,
        }
    n = len(rows)
    errors = [abs(r["error"]) for r in rows if math.isfinite(r["error"])]
    return {
        "n": n,
        "inside_50": sum(bool(r["inside_50"]) for r in rows) / n,
        "inside_80": sum(bool(r["inside_80"]) for r in rows) / n,
        "inside_90": sum(bool(r["inside_90"]) for r in rows) / n,
        "mape": sum(errors) / len(errors) if errors else math.nan,
    }


def _money(value: float, indicator: str, lang: str) -> str:
    if indicator in ("income", "expenditure", "balance"):
        return f"{value / 1e8:,.3f}" if lang == "zh" else f"{value / 1e6:,.1f}"
    return f"{value / 1e4:,.2f}" if lang == "zh" else f"{value / 1e3:,.1f}"


def _table(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    zh = lang == "zh"
    head = (
        "| 年份 | 指标 | 实际 | 模型中位数 | 10%—90% | 偏差 | 在80%区间内 |"
        if zh
        else "| year | series | actual | model median | 10-90% | error | inside 80% |"
    )
    lines = [head, "|---|---|---:|---:|---|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["fund"], r["indicator"], r["year"])):
        unit = (
            ("亿元" if zh else "million yuan")
            if r["indicator"] in ("income", "expenditure", "balance")
            else ("万人" if zh else "thousand")
        )
        lines.append(
            f"| {r['year']} | {label(r['fund'], r['indicator'], lang)} ({unit}) | "
            f"{_money(r['actual'], r['indicator'], lang)} | {_money(r['p50'], r['indicator'], lang)} | "
            f"{_money(r['p10'], r['indicator'], lang)} – {_money(r['p90'], r['indicator'], lang)} | "
            f"{r['error']:+.1%} | {('是' if zh else 'yes') if r['inside_80'] else ('否' if zh else 'no')} |"
        )
    return "\n".join(lines)


def _fit_lines(chosen: Plan, result: Fit, lang: str, known: Identification) -> list[str]:
    zh = lang == "zh"
    lines = [
        "| 参数 | 原值 | 拟合值 | 标准差 | 边界 |"
        if zh
        else "| parameter | was | fitted | sd | bounds |",
        "|---|---:|---:|---:|---|",
    ]
    bounds = bounds_of(chosen)
    for path, value in result.values.items():
        low, high = bounds[path]
        flag = (
            (" （历史数据无法识别）" if zh else " (not identified by the history)")
            if path in result.unidentified or known.open(path)
            else ""
        )
        if path in result.at_bound:
            flag += " （拟合值在边界上）" if zh else " (at a bound)"
        sd = "—" if known.underdetermined else f"{result.sd[path]:.3g}"  # no residual: no sd
        lines.append(
            f"| `{path}`{flag} | {result.start[path]:.4g} | {value:.4g} | {sd} | {low:g} – {high:g} |"
        )
    return lines


def write_calibration(
    folder: Path, chosen: Plan, result: Fit, rows: Sequence[Mapping[str, Any]], out_scenario: Path
) -> None:
    """``calibration.csv`` (the bands of the calibrated scenario at every history point) and
    ``calibration.md`` (the fit, then the table, in Chinese and in English)."""
    write_text(
        folder / "calibration.csv",
        _csv(rows, ["mean", "error", "inside_50", "inside_80", "inside_90"]),
    )
    c = coverage(rows)
    known = identify(result, bounds_of(chosen))
    parts = []
    for lang in ("zh", "en"):
        zh = lang == "zh"
        title = "# 历史数据校准报告" if zh else "# Calibration to the region's history"
        quality = (
            known.quality(result.rms, lang)
            if known.underdetermined
            else ("历史数据无法识别的参数" if zh else "parameters the history does not identify")
        )
        intro = (
            f"情景 `{chosen.scenario.file.name}` 按 `{chosen.history_file.name}` 中 {chosen.first_year}—{chosen.until} 年的 "
            f"{len(result.points)} 个实际数据，以公共随机数（每次试算同样的 {result.runs} 次模拟）拟合蒙特卡洛均值"
            f"（scipy.optimize.least_squares，共 {result.trials} 次试算）。{_quality(known, result, lang)}校准后的情景：`{out_scenario.name}`。"
            f"实际值落在校准后情景 10%—90% 区间内的比例：{c['inside_80']:.0%}。"
            if zh
            else f"Scenario `{chosen.scenario.file.name}` fitted to {len(result.points)} actual figures of "
            f"`{chosen.history_file.name}`, {chosen.first_year}-{chosen.until}: the Monte Carlo mean over "
            f"the same {result.runs} runs for every trial (common random numbers), by "
            f"scipy.optimize.least_squares ({result.trials} trials). {_quality(known, result, lang)} The "
            f"calibrated scenario: `{out_scenario.name}`. Actuals inside the calibrated scenario's "
            f"10-90% band: {c['inside_80']:.0%}."
        )
        bands = (
            "## 校准后情景与历史数据（全部抽样）"
            if zh
            else "## The calibrated scenario against the history (every draw on)"
        )
        fitted = "## 拟合参数" if zh else "## Fitted parameters"
        warning = []
        if known.flagged:  # first, before any number a planner could take for a finding
            warning = ["## ⚠ 警告：" + quality if zh else f"## ⚠ Warning: {quality}", ""]
            warning += [f"- **{w}**" for w in known.warnings(lang)] + [""]
        section = [
            title,
            "",
            *warning,
            intro,
            "",
            fitted,
            "",
            *_fit_lines(chosen, result, lang, known),
            "",
            bands,
            "",
            _table(rows, lang),
            "",
        ]
        if chosen.warnings:
            section += ["## 说明与未比较的数据" if zh else "## Notes and figures not compared", ""]
            section += [f"- {w}" for w in dict.fromkeys(chosen.warnings)] + [""]  # each once
        section += [
            f"![{r}](figures/{r}.png)"
            for r in sorted({f"{r['fund']}_{r['indicator']}" for r in rows})
        ]
        parts.append("\n".join(section))
    write_text(folder / "calibration.md", "\n\n".join(parts) + "\n")


def _quality(known: Identification, result: Fit, lang: str) -> str:
    """The calibration's residuals in a sentence (n ≤ k: that they mean nothing)."""
    if known.underdetermined:
        said = known.quality(result.rms, lang)
        return f"{said}。" if lang == "zh" else f"{said[0].upper()}{said[1:]}."
    if lang == "zh":
        return f"残差均方根 {result.rms:.1%}，残差标准差 {result.s:.1%}，作为拟合参数的不确定性。"
    return (
        f"Residual RMS {result.rms:.1%}, residual standard deviation {result.s:.1%}, turned into "
        "the fitted parameters' uncertainty."
    )


def write_backtest(
    folder: Path, chosen: Plan, result: Fit, rows: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """``backtest.csv`` (every later history point: actual and the bands) and ``backtest.md``
    with the coverage; returns the coverage."""
    write_text(folder / "backtest.csv", _csv(rows, []))
    c = coverage(rows)
    known = identify(result, bounds_of(chosen))
    parts = []
    for lang in ("zh", "en"):
        zh = lang == "zh"
        fit = (
            known.quality(result.rms, lang)
            if known.underdetermined
            else (f"残差均方根 {result.rms:.1%}" if zh else f"residual RMS {result.rms:.1%}")
        )
        years = sorted({r["year"] for r in rows})
        span = f"{years[0]}—{years[-1]}" if years else "—"
        head = (
            f"# 回测：校准至 {chosen.until} 年，检验 {span} 年\n\n"
            f"按 {chosen.first_year}—{chosen.until} 年的 {len(result.points)} 个实际数据校准（{fit}），"
            f"再向后预测；{chosen.until} 年以后的数据只用于评分，不进入拟合。\n\n"
            f"| 区间 | 实际值落入比例 |\n|---|---:|\n| 25%—75% | {c['inside_50']:.0%} |\n| 10%—90% | {c['inside_80']:.0%} |\n"
            f"| 5%—95% | {c['inside_90']:.0%} |\n\n中位数平均绝对百分比误差（MAPE）：{c['mape']:.1%}（{c['n']} 个数据）。"
            if zh
            else f"# Backtest: calibrated up to {chosen.until}, tested on {span}\n\n"
            f"Calibrated on {len(result.points)} actual figures of {chosen.first_year}-{chosen.until} "
            f"({fit}), then projected; figures after {chosen.until} only score "
            f"the forecast, they enter no fit.\n\n| band | actuals inside |\n|---|---:|\n"
            f"| 25-75% | {c['inside_50']:.0%} |\n| 10-90% | {c['inside_80']:.0%} |\n| 5-95% | {c['inside_90']:.0%} |\n\n"
            f"Mean absolute percentage error of the median (MAPE): {c['mape']:.1%} ({c['n']} figures)."
        )
        section = [head, ""]
        if known.flagged:
            section += [f"- **{w}**" for w in known.warnings(lang)] + [""]
        section += [_table(rows, lang), ""]
        section += [
            f"![{r}](figures/{r}.png)"
            for r in sorted({f"{r['fund']}_{r['indicator']}" for r in rows})
        ]
        parts.append("\n".join(section))
    write_text(folder / "backtest.md", "\n\n".join(parts) + "\n")
    return c
