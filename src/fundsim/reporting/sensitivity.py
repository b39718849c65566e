"""The results of ``fundsim sensitivity`` in a report (``fundsim report --sensitivity DIR``):
what was analysed, the indices table in the report's language, and its charts."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..parameters.catalogue import load_catalogue
from ..plotting.style import Lang
from ..scenario.paths import display_path
from ..source.diagnostics import Collector, Diagnostic, InputError, ScenarioError

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


# each design's columns after outcome and input, as fundsim sensitivity writes them
INDEX_COLUMNS = {
    "tornado": ("base", "low", "high", "swing"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
OUTCOME = re.compile(
    r"^(?P<fund>[a-z_]+)\.(?:depletion_year|cumulative_deficit|"
    r"(?:balance|reserve_months)_(?P<year>\d{4}))$"
)


def read_sensitivity(folder: Path, manifest: Mapping[str, Any] | None) -> Sensitivity:
    """The results ``fundsim sensitivity --out folder`` wrote, checked, for a report of the
    batch whose ``manifest`` (:func:`fundsim.reporting.report.read_manifest`, None when it
    has none) is given: an
    input error (exit 2) naming the file, line and column of what is wrong in indices.csv or
    sensitivity.json, or saying that the analysis is of another scenario than the batch's."""
    indices = folder / "indices.csv"
    if not indices.is_file():
        raise InputError(
            f"--sensitivity {folder}: no indices.csv there; give the folder `fundsim sensitivity "
            "... --out DIR` wrote"
        )
    meta = _meta(folder) if (folder / META).is_file() else None
    method, table = _indices(indices, meta or {})
    if meta is None:
        raise InputError(
            f"--sensitivity {folder}: no {META} there, so nothing says which scenario was "
            "analysed; give the folder `fundsim sensitivity ... --out DIR` wrote (缺少sensitivity.json)"
        )
    _check_scenario(folder, meta, manifest)
    return Sensitivity(method, table, meta)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{display_path(path)}: not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{display_path(path)}: cannot be read ({error.strerror})") from None


def _meta(folder: Path) -> dict[str, Any]:
    """sensitivity.json: what was analysed (the method, the scenario and its SHA-256)."""
    path = folder / META
    shown = display_path(path)
    try:
        meta = json.loads(_text(path))
    except json.JSONDecodeError as error:
        raise ScenarioError(
            [Diagnostic("error", shown, error.lineno, error.colno, "", f"not JSON: {error.msg}")]
        ) from None
    problems = Collector()
    if not isinstance(meta, dict):
        problems.error(shown, 1, "", "not what fundsim sensitivity writes (a JSON object)")
        problems.raise_if_errors()
    method = meta.get("method")
    if method is not None and method not in INDEX_COLUMNS:
        problems.error(
            shown, _json_line(path, "method"), "method", f"unknown method {method!r}",
            f"valid: {', '.join(INDEX_COLUMNS)}",
        )  # fmt: skip
    scenario = meta.get("scenario", {})
    if not (isinstance(scenario, dict) and isinstance(scenario.get("name", ""), str)):
        problems.error(
            shown, _json_line(path, "scenario"), "scenario",
            "not what fundsim sensitivity writes ({name, file, sha256} of the scenario analysed)",
        )  # fmt: skip
    problems.raise_if_errors()
    return dict(meta)


def _json_line(path: Path, key: str) -> int:
    """The line of ``"key":`` in a JSON file (1 when not found)."""
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if f'"{key}"' in line:
            return number
    return 1


def _indices(path: Path, meta: Mapping[str, Any]) -> tuple[str, pd.DataFrame]:
    """indices.csv read and checked cell by cell: its method and its table."""
    shown = display_path(path)
    problems = Collector()
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ScenarioError(
            [Diagnostic("error", shown, line, 0, "", f"not CSV: {error}")]
        ) from None
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records or not {"outcome", "input"} <= {c.strip() for c in records[0][1]}:
        raise ScenarioError(
            [Diagnostic("error", shown, records[0][0] if records else 1, 0, "",
                        "indices.csv is not fundsim's (no outcome, input columns)",
                        "give the folder `fundsim sensitivity ... --out DIR` wrote")]
        )  # fmt: skip
    (head_line, header), rows = records[0], records[1:]
    header = [c.strip() for c in header]
    method = str(meta.get("method") or _method_of(header))
    wanted = ["outcome", "input", *INDEX_COLUMNS[method]]
    for column in wanted:
        if column not in header:
            problems.error(
                shown, head_line, column, f"missing: a {method} analysis has columns "
                f"{', '.join(wanted)}",
                "the file was edited or is not fundsim's: run fundsim sensitivity again",
            )  # fmt: skip
    for column in header:
        if column not in wanted:
            other = [m for m, names in INDEX_COLUMNS.items() if column in names]
            problems.error(
                shown, head_line, column,
                f"a column of a {other[0]} analysis, but {META} says {method}"
                if other else "not a column of fundsim's indices",
                f"a {method} analysis has columns {', '.join(wanted)}",
            )  # fmt: skip
    if len(set(header)) != len(header):
        problems.error(shown, head_line, "", "a column is named twice")
    problems.raise_if_errors()
    if not rows:
        problems.error(shown, head_line, "", "no rows: no input was analysed")
    inputs = meta.get("inputs")
    known = set(inputs) if isinstance(inputs, list) else None
    catalogue = load_catalogue()
    data: dict[str, list[Any]] = {c: [] for c in header}
    seen: dict[tuple[str, str], int] = {}
    for number, cells in rows:
        if len(cells) != len(header):
            problems.error(
                shown, number, "", f"{len(cells)} cells where the header has {len(header)}"
            )
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        _check_names(row, number, shown, known, catalogue, meta, problems)
        key = (row["outcome"], row["input"])
        if key in seen:
            problems.error(
                shown, number, "input", f"{key[1]} of {key[0]} is given twice (first on line "
                f"{seen[key]})",
            )  # fmt: skip
        seen.setdefault(key, number)
        for column in header:
            if column in ("outcome", "input"):
                data[column].append(row[column])
                continue
            value = _number(row[column])
            if value is None:
                problems.error(
                    shown, number, column, f"{row[column]!r} is not a number",
                    "a number, or nothing where fundsim sensitivity left it empty",
                )  # fmt: skip
            data[column].append(value)
    problems.raise_if_errors()
    return method, pd.DataFrame(data, columns=header)


def _method_of(header: list[str]) -> str:
    if "S1" in header:
        return "sobol"
    if "mu_star" in header:
        return "morris"
    return "tornado"


def _number(text: str) -> float | None:
    """A cell's number: NaN when empty (an index SALib could not give), None when not a
    finite number."""
    if text == "" or text.lower() == "nan":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_names(
    row: Mapping[str, str],
    number: int,
    shown: str,
    known: set[str] | None,
    catalogue: Any,
    meta: Mapping[str, Any],
    problems: Collector,
) -> None:
    """The row's outcome is one fundsim sensitivity measures, its input one it varied."""
    from ..ensemble.sensitivity import POOLED

    outcome, name = row["outcome"], row["input"]
    found = OUTCOME.match(outcome)
    years = meta.get("years")
    if found is None or found["fund"] not in POOLED:
        problems.error(
            shown, number, "outcome", f"unknown outcome {outcome!r}",
            f"an outcome is FUND.depletion_year, FUND.balance_YEAR, FUND.reserve_months_YEAR "
            f"or FUND.cumulative_deficit, FUND one of {', '.join(POOLED)}",
        )  # fmt: skip
    elif found["year"] and isinstance(years, list) and int(found["year"]) not in years:
        problems.error(
            shown, number, "outcome",
            f"{outcome}: {found['year']} is not a year analysed ({META}: years {years})",
        )  # fmt: skip
    if (known is not None and name not in known) or (known is None and name not in catalogue):
        valid = sorted(known) if known is not None else []
        problems.error(
            shown, number, "input", f"unknown input {name!r}",
            f"the inputs analysed ({META}): {', '.join(valid)}" if valid
            else "an input is a parameter path, e.g. care.cost_trend",
        )  # fmt: skip


def _scenarios(manifest: Mapping[str, Any] | None) -> dict[str, str | None]:
    """Each scenario of a batch's manifest with its SHA-256 (None when not recorded)."""
    listed = (manifest or {}).get("scenarios")
    if isinstance(listed, dict):
        return {
            str(n): (str(e["sha256"]) if isinstance(e, dict) and e.get("sha256") else None)
            for n, e in listed.items()
        }
    if isinstance(listed, list):
        return {
            str(e.get("name")): (str(e["sha256"]) if e.get("sha256") else None)
            for e in listed
            if isinstance(e, dict)
        }
    return {}


def _check_scenario(
    folder: Path, meta: Mapping[str, Any], manifest: Mapping[str, Any] | None
) -> None:
    """The analysis is of one of the batch's scenarios, as the batch ran it (InputError
    naming both otherwise)."""
    analysed = meta.get("scenario") or {}
    name, sha = analysed.get("name"), analysed.get("sha256")
    file = f" ({analysed['file']})" if analysed.get("file") else ""
    held = _scenarios(manifest)
    if not held:
        raise InputError(
            f"--sensitivity {folder}: the batch has no manifest.json naming its scenarios, so "
            f"fundsim cannot tell that the analysis of {name}{file} is of one of them; give the "
            "batch folder `fundsim run` wrote (无法核对敏感性分析所对应的情景)"
        )
    if name in held:
        if sha is None or held[name] is None or held[name] == sha:
            return
        raise InputError(
            f"--sensitivity {folder}: the analysis is of scenario {name}{file} with SHA-256 "
            f"{str(sha)[:12]}…, but the batch's {name} has SHA-256 {str(held[name])[:12]}…: the "
            "scenario (or a file it reads) changed between the two; run fundsim sensitivity "
            "again on the scenario the batch ran, or run the batch again "
            "(情景文件在两次运行之间已修改，敏感性分析与批量结果不对应)"
        )
    raise InputError(
        f"--sensitivity {folder}: the analysis is of scenario {name}{file}, but the batch holds "
        f"{', '.join(held)}; give the analysis of one of the batch's scenarios "
        f"(敏感性分析的情景{name}不在本批结果中)"
    )


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
