"""What the page shows of a batch: its summary (headline, depletion, warnings, key figures,
the comparison) and its charts, drawn by the report's own chart code as SVG."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from .messages import Refused, shown

CHART_KINDS = ("fan", "depletion", "warnings", "compare", "waterfall", "income-expenditure")


def summary(ds: Any) -> dict[str, Any]:
    """The headline, the depletion probabilities and the early warnings of a batch."""
    from ..codes import ALL_ACCOUNT_CODES, labels
    from ..plotting.style import scenario_titles
    from ..results import headline
    from ..results.early_warning import probabilities

    names = [str(s) for s in ds["scenario"].values]
    years = [int(y) for y in ds["year"].values]
    pooled = [f for f in ("uebmi_pool", "urrbmi_pool") if f in ds["fund"].values]
    p = ds.fundsim.prob_depleted()
    out: dict[str, Any] = {
        "areas": json.loads(str(ds.attrs.get("workbench_areas", "[]"))),
        "verified": bool(ds.attrs.get("workbench_verified", 1)),
        "scenarios": names,
        "titles": {lang: scenario_titles(ds, lang) for lang in ("zh", "en")},
        "funds": {lang: {f: labels(ALL_ACCOUNT_CODES, lang)[f] for f in pooled} for lang in ("zh", "en")},
        "years": years,
        "runs": int(ds.sizes["run"]),
        "depleted": {s: {f: [round(float(v), 4) for v in p.sel(scenario=s, fund=f).values]
                         for f in pooled} for s in names},
        "headline": {lang: {s: headline.explain(ds, lang, scenario=i) for i, s in enumerate(names)}
                     for lang in ("zh", "en")},
    }  # fmt: skip
    shown = ("income", "expenditure", "balance", "reserve_months")
    q = ds.fundsim.quantiles([v for v in shown if v in ds], (0.05, 0.5, 0.95))

    def listed(values: Any) -> list[float | None]:
        return [round(float(v), 2) if math.isfinite(v) else None for v in values]

    out["indicators"] = {  # the key indicators' medians by year, the balance's 5-95% band
        s: {f: {f"{v}_{c}": listed(q[v].sel(scenario=s, fund=f, quantile=at).values)
                for v in q.data_vars for c, at in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95))}
            for f in pooled}
        for s in names
    }  # fmt: skip
    if "warning_level" in ds:
        warned = {}
        for s in names:
            w = probabilities(ds["warning_level"].sel(scenario=s))
            warned[s] = {
                f: {lv: [round(float(v), 4) for v in w.sel(fund=f, level=lv).values]
                    for lv in ("yellow", "orange", "red")}
                for f in pooled
            }  # fmt: skip
        out["warnings"] = warned
    if len(names) > 1:
        from ..results.compare import comparison_table

        table = comparison_table(ds, names[0])
        out["comparison"] = json.loads(table.to_json(orient="records"))
    return out


def chart_svg(ds: Any, kind: str, fund: str, scenario: str | None, lang: str) -> bytes:
    """One chart of the batch as SVG, drawn by the report's own chart code; an unknown
    chart, fund, scenario or language refused, naming the valid ones."""
    from ..plotting.figures import figure

    if kind not in CHART_KINDS:
        _unknown("kind", "chart", "图表", kind, CHART_KINDS)
    funds = [str(f) for f in ds["fund"].values]
    if fund not in funds:
        _unknown("fund", "fund", "基金", fund, funds)
    names = [str(s) for s in ds["scenario"].values]
    if scenario is not None and scenario not in names:
        _unknown("scenario", "scenario", "情景", scenario, names)
    if lang not in ("zh", "en"):
        _unknown("lang", "language", "语言", lang, ("zh", "en"))
    import matplotlib.pyplot as plt

    from ..plotting.style import chart_style

    fig, drawn = figure(ds, kind, lang, fund, scenario)
    buffer = io.BytesIO()
    try:
        with chart_style(drawn):  # the fonts are found when the figure is drawn
            fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _unknown(field: str, en: str, zh: str, given: str, valid: Any) -> None:
    listed = ", ".join(valid)
    raise Refused(
        f"{field}: no {en} {shown(given)} here; one of {listed}",
        f"{field}：没有{zh} {shown(given)}；可选：{listed}",
        field=field,
    )
