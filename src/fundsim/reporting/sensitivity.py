"""The results of ``fundsim sensitivity`` in a report (``fundsim report --sensitivity DIR``):
what was analysed, the indices table in the report's language, and its charts."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..plotting.style import Lang
from ..source.diagnostics import InputError

META = "sensitivity.json"
SWINGS = ("base", "low", "high", "swing")  # the tornado's columns, in the outcome's unit
# the indices' columns in Chinese (English keeps the machine names)
HEADERS = {
    "outcome": "结果指标",
    "input": "输入参数",
    "base": "各输入取中位数时",
    "low": "取5%分位数时",
    "high": "取95%分位数时",
    "swing": "摆幅（95%−5%）",
    "mu_star": "μ*",
    "mu_star_conf": "μ* 95%置信区间半宽",
    "sigma": "σ",
    "S1": "一阶指数S1",
    "S1_conf": "S1 95%置信区间半宽",
    "ST": "总效应指数ST",
    "ST_conf": "ST 95%置信区间半宽",
}
METHODS = {
    "tornado": ("龙卷风图（各输入取5%与95%分位数，其余取中位数）", "tornado (each input at its 5% and 95% quantile, the others at their medians)"),
    "morris": ("Morris筛选（基本效应）", "Morris screening (elementary effects)"),
    "sobol": ("Sobol方差分解（一阶与总效应指数，95%自助法置信区间）", "Sobol variance decomposition (first-order and total indices, 95% bootstrap intervals)"),
}  # fmt: skip


@dataclass(frozen=True)
class Sensitivity:
    """A sensitivity folder as read back."""

    method: str
    table: pd.DataFrame  # indices.csv: machine names
    meta: dict[str, Any]


def method_of(table: pd.DataFrame) -> str:
    """The design an indices table comes from, by its columns."""
    if "S1" in table.columns:
        return "sobol"
    if "mu_star" in table.columns:
        return "morris"
    return "tornado"


def read_sensitivity(folder: Path) -> Sensitivity:
    """The results ``fundsim sensitivity --out folder`` wrote; an input error naming what is
    missing otherwise."""
    indices = folder / "indices.csv"
    if not indices.is_file():
        raise InputError(
            f"--sensitivity {folder}: no indices.csv there; give the folder `fundsim sensitivity "
            "... --out DIR` wrote"
        )
    try:
        table = pd.read_csv(indices)
    except (OSError, ValueError) as error:
        raise InputError(f"--sensitivity {folder}: indices.csv cannot be read ({error})") from None
    if not {"outcome", "input"} <= set(table.columns):
        raise InputError(
            f"--sensitivity {folder}: indices.csv is not fundsim's (no outcome, input)"
        )
    meta: dict[str, Any] = {}  # written before sensitivity.json: the method from the columns
    with contextlib.suppress(OSError, ValueError):
        meta = dict(json.loads((folder / META).read_text(encoding="utf-8")))
    return Sensitivity(str(meta.get("method") or method_of(table)), table, meta)


def shown_table(table: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The indices with outcome and input names (and, in Chinese, headers) in ``lang``."""
    from ..plotting.sensitivity import outcome_name
    from ..results.headline import input_name

    shown = table.copy()
    shown["outcome"] = [outcome_name(str(o), lang) for o in shown["outcome"]]
    shown["input"] = [input_name(str(p), lang) for p in shown["input"]]
    return shown.rename(columns=HEADERS) if lang == "zh" else shown


def document_tables(result: Sensitivity, lang: Lang) -> list[tuple[str, pd.DataFrame]]:
    """The indices as the document prints them: a table per outcome (its name first), the
    inputs that move it most on top; text, swings with two decimals (depletion years whole,
    the year after the horizon as "after it"), indices with three. An outcome that no input
    moves is left out."""
    from ..plotting.sensitivity import RANKED_BY, ordered, outcome_name

    table = result.table
    last = (result.meta.get("horizon") or [None, None])[1]
    never = f"{last}年后" if lang == "zh" else f"after {last}"
    key = RANKED_BY.get(result.method, "")
    out = []
    for outcome, rows in table.groupby("outcome", sort=False):
        if key in rows:
            if not rows[key].abs().fillna(0).any():
                continue
            rows = ordered(rows, result.method, largest_first=True)
        year = str(outcome).endswith(".depletion_year")
        shown = shown_table(rows, lang).drop(
            columns=HEADERS["outcome"] if lang == "zh" else "outcome"
        )
        for column in rows.columns:
            if column in ("outcome", "input"):
                continue
            texts = []
            for value in rows[column]:
                if value != value:  # NaN
                    texts.append("")
                elif column in SWINGS and year and column != "swing":
                    at_end = last is not None and value == last + 1
                    texts.append(never if at_end else f"{value:.0f}")
                elif column == "swing":
                    texts.append(f"{value:+,.2f}")
                elif column in SWINGS:
                    texts.append(f"{value:,.2f}")
                else:
                    texts.append(f"{value:.3f}")
            shown[HEADERS.get(column, column) if lang == "zh" else column] = texts
        out.append((outcome_name(str(outcome), lang), shown))
    return out


def number_formats(table: pd.DataFrame, lang: Lang) -> dict[str, str]:
    """The shown table's number formats: swings in the outcome's unit (亿元, years, months: its
    name says which) with two decimals, indices with three."""
    formats = {c: "#,##0.00" if c in SWINGS else "0.000" for c in table}
    return {HEADERS.get(c, c): f for c, f in formats.items()} if lang == "zh" else formats


def summary_line(result: Sensitivity, lang: Lang) -> str:
    """What was analysed, in a sentence."""
    meta = result.meta
    method = METHODS.get(result.method, (result.method, result.method))[0 if lang == "zh" else 1]
    inputs = result.table["input"].nunique()
    points = meta.get("points", "?")
    scenario = meta.get("scenario", {}).get("name", "?")
    if lang == "zh":
        return (
            f"方法：{method}；{inputs}个不确定输入，{points}次模拟（设计点，共同随机数），"
            f"情景：{scenario}，种子{meta.get('seed', '?')}。"
        )
    return (
        f"Method: {method}; {inputs} uncertain inputs, {points} runs (design points, common "
        f"random numbers), scenario {scenario}, seed {meta.get('seed', '?')}."
    )
