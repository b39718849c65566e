"""A forecast's out-of-sample record: its scored figures as tables (by horizon, by series,
overall), in Chinese and English, and written as CSV and Markdown."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..calibration.observe import label
from .scores import Scored, Summary, summarise

HEAD = {
    "zh": (
        "范围",
        "数据个数",
        "50%区间覆盖",
        "80%区间覆盖",
        "90%区间覆盖",
        "中位数的误差（MdAPE）",
        "增长外推误差（MdAPE）",
        "持平外推误差（MdAPE）",
        "相对增长外推",
        "CRPS/实际值",
    ),
    "en": (
        "scope",
        "figures",
        "inside 50%",
        "inside 80%",
        "inside 90%",
        "median's error (MdAPE)",
        "naive growth (MdAPE)",
        "naive flat (MdAPE)",
        "skill vs growth",
        "CRPS / actual",
    ),
}


NOTE = {
    "zh": "说明：MdAPE 为各数据绝对百分比误差的中位数；“增长外推”指最后一个实际值按起点前至多4年的平均增速外推，"
    "“保持不变”指沿用最后一个实际值；“相对增长外推”为 1 − 本模型误差 ÷ 增长外推误差，两者取同样的数据（有增长外推的数据；负值表示不如外推）；"
    "CRPS 为全部模拟对实际值的连续分级概率评分，以实际值的比例表示（越小越好）。80%区间覆盖率在72%—88%之间视为与名义水平相符。",
    "en": "MdAPE: the median of the figures' absolute percentage errors; naive growth: the last actual "
    "grown at its mean growth of up to four years before the origin; naive flat: the last actual "
    "held; skill vs growth: 1 − fundsim's error ÷ the naive growth forecast's, over the same "
    "figures (those a naive growth forecast has; negative: fundsim loses); CRPS: the continuous ranked probability score of the runs, as a share of the actual "
    "(smaller is better). An 80% band holding 72%-88% of the actuals is read as right.",
}


def _pct(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.1%}"


def groups(scored: Sequence[Scored], lang: str) -> list[tuple[str, Summary]]:
    """The summaries shown: every figure, each horizon, each origin (when more than one),
    each series (fund and indicator)."""
    out = [("全部" if lang == "zh" else "all", summarise(scored))]
    for h in sorted({s.horizon for s in scored}):
        name = f"提前{h}年" if lang == "zh" else f"{h} year{'s' if h > 1 else ''} ahead"
        out.append((name, summarise(s for s in scored if s.horizon == h)))
    starts = sorted({s.origin for s in scored})
    for origin in starts if len(starts) > 1 else ():
        name = f"自{origin}年末起" if lang == "zh" else f"from the end of {origin}"
        out.append((name, summarise(s for s in scored if s.origin == origin)))
    for fund, indicator in sorted({(s.fund, s.indicator) for s in scored}):
        chosen = [s for s in scored if (s.fund, s.indicator) == (fund, indicator)]
        out.append((label(fund, indicator, lang), summarise(chosen)))
    return out


def table_rows(scored: Sequence[Scored], lang: str) -> list[list[str]]:
    rows = []
    for name, s in groups(scored, lang):
        rows.append(
            [
                name,
                str(s.n),
                _pct(s.coverage_50),
                _pct(s.coverage_80),
                _pct(s.coverage_90),
                _pct(s.mape),
                _pct(s.mape_growth),
                _pct(s.mape_flat),
                "—" if not math.isfinite(s.skill_growth) else f"{s.skill_growth:+.0%}",
                _pct(s.crps),
            ]
        )
    return rows


def table_values(scored: Sequence[Scored], lang: str) -> list[list[Any]]:
    """:func:`table_rows` as numbers (shares as fractions, None where there is none), for a
    workbook whose cells a planner computes with."""

    def number(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    return [
        [
            name,
            s.n,
            *(
                number(x)
                for x in (
                    s.coverage_50,
                    s.coverage_80,
                    s.coverage_90,
                    s.mape,
                    s.mape_growth,
                    s.mape_flat,
                    s.skill_growth,
                    s.crps,
                )
            ),
        ]
        for name, s in groups(scored, lang)
    ]


def verdict(scored: Sequence[Scored], lang: str) -> str:
    """One sentence: does the forecast beat the naive ones, and are its bands right."""
    s = summarise(scored)
    if s.n == 0:
        return "没有可评分的数据。" if lang == "zh" else "No figure to score."
    beats = s.beats_naive
    paired = s.n_growth < s.n and math.isfinite(s.mape_vs_growth)
    right = 0.72 <= s.coverage_80 <= 0.88
    if lang == "zh":
        first = (
            f"中位数误差{_pct(s.mape)}"
            + (
                f"（在可作增长外推的{s.n_growth}个数据上为{_pct(s.mape_vs_growth)}）"
                if paired
                else ""
            )
            + "，"
            + ("优于" if beats else "未优于")
            + f"两种简单外推（按近年增长外推{_pct(s.mape_growth)}，保持不变{_pct(s.mape_flat)}）"
        )
        second = f"；80%区间覆盖了{_pct(s.coverage_80)}的实际值" + (
            "，与名义水平相符。"
            if right
            else "，与名义的80%不符：区间" + ("过窄。" if s.coverage_80 < 0.72 else "过宽。")
        )
        return first + second
    first = (
        f"The median is off by {_pct(s.mape)} (median APE"
        + (
            f"; {_pct(s.mape_vs_growth)} on the {s.n_growth} figures a naive growth forecast has"
            if paired
            else ""
        )
        + "), "
        + ("better than" if beats else "NOT better than")
        + f" the naive forecasts (last value grown at the recent growth {_pct(s.mape_growth)}, "
        f"held flat {_pct(s.mape_flat)})"
    )
    second = f"; the 80% bands held {_pct(s.coverage_80)} of the actuals" + (
        ", as they should."
        if right
        else (", too narrow." if s.coverage_80 < 0.72 else ", too wide.")
    )
    return first + second


def markdown(scored: Sequence[Scored], lang: str, title: str) -> str:
    head = HEAD[lang]
    lines = [f"# {title}", "", verdict(scored, lang), ""]
    lost = losses(scored, lang)
    if lost:
        lines += [f"**{lost}**", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for row in table_rows(scored, lang):
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(NOTE[lang])
    lines.append("")
    return "\n".join(lines)


def write_csv(scored: Iterable[Scored], path: Path) -> None:
    """Every scored figure, one row each (machine names)."""
    rows = [s.row() for s in scored]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def read_csv(path: Path, shown: str | None = None) -> list[Scored]:
    """The scored figures of a ``rolling.csv`` or ``score.csv`` fundsim wrote (the columns of
    :func:`write_csv`); anything else is an :class:`~fundsim.source.diagnostics.InputError`
    naming the file and the line."""
    from dataclasses import fields

    from ..source.diagnostics import InputError

    where = shown or str(path)
    kinds = {f.name: f.type for f in fields(Scored)}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(set(kinds) - set(reader.fieldnames or []))
            if missing:
                raise InputError(
                    f"{where}: not an out-of-sample record of fundsim (no column "
                    f"{', '.join(missing)}); give the rolling.csv of `fundsim backtest --rolling` "
                    "or the score.csv of `fundsim score` (需要 fundsim 写出的样本外检验记录)"
                )
            out = []
            for line, row in enumerate(reader, start=2):
                values: dict[str, object] = {}
                for name, kind in kinds.items():
                    text = (row.get(name) or "").strip()
                    try:
                        if kind == "str":
                            values[name] = text
                        elif kind == "int":
                            values[name] = int(text)
                        elif kind == "bool":
                            if text not in ("True", "False"):
                                raise ValueError(text)
                            values[name] = text == "True"
                        else:
                            values[name] = float(text) if text else math.nan
                    except ValueError:
                        raise InputError(
                            f"{where}:{line}: {name} {text!r} is not a {kind} ({name} 一列的值无效)"
                        ) from None
                out.append(Scored(**values))  # type: ignore[arg-type]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{where}: cannot be read as a UTF-8 CSV ({error})") from None
    if not out:
        raise InputError(f"{where}: no scored figure (记录中没有评分数据)")
    return out


def losses(scored: Sequence[Scored], lang: str) -> str:
    """The series where the median does worse than the naive growth forecast, said plainly
    (empty when it does not anywhere)."""
    worse = [
        (name, s)
        for name, s in groups(scored, lang)[1:]
        if math.isfinite(s.skill_growth) and s.skill_growth < 0
    ]
    if not worse:
        return ""
    names = "、".join(n for n, _ in worse) if lang == "zh" else "; ".join(n for n, _ in worse)
    if lang == "zh":
        return f"以下范围的预测不如按近年增长外推：{names}。"
    return f"Where fundsim does worse than the last value grown at its recent growth: {names}."
