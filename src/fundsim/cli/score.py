"""``fundsim score``: a stored forecast (a ``fundsim run`` batch) against the actuals published
since, with the scores of :mod:`fundsim.evaluation.scores` and the naive forecasts beside."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from .parser import EXIT_OK


def add_command(commands: Any, allow: Any) -> None:
    score = commands.add_parser(
        "score",
        help="score a stored forecast against the actuals published since",
        description="Score the forecast of a batch (RESULTS, written by `fundsim run`) against "
        "the figures of FILE (a history.csv) in the forecast's years: coverage of the 50/80/90%% "
        "bands, the error of the median (MAPE), CRPS and the interval score from the runs, the "
        "PIT histogram, and the same figures' naive forecasts (the last actual before the "
        "forecast grown at its recent growth, and held flat). 用之后公布的实际数据检验已保存的预测。",
    )
    score.add_argument(
        "results", type=Path, metavar="RESULTS", help="batch directory or results.nc"
    )
    score.add_argument("--history", type=Path, required=True, metavar="FILE", help="history.csv")
    score.add_argument("--scenario", help="the scenario scored (default: the first)")
    score.add_argument("--out", type=Path, metavar="DIR", help="write score.csv and score.md here")
    score.add_argument("--lang", choices=["zh", "en"], default="zh", help="score.md's language")
    score.add_argument("--force", action="store_true", help="replace an earlier score folder")
    allow(score)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import numpy as np

    from ..calibration.observe import matrix, observable, points
    from ..evaluation.record import markdown, write_csv
    from ..evaluation.rolling import SCORED
    from ..evaluation.scores import score
    from ..places import Writing, check_output, mark
    from ..results.areas import select_area
    from ..scenario.paths import display_path
    from ..scenario.regiondata import read_table
    from ..source.diagnostics import Collector, InputError
    from .main import _results

    output = None
    if args.out is not None:  # before any work
        output = check_output(args.out, "score", args.force, inputs=[args.results, args.history])
    whole = _results(args.results)
    ds = select_area(whole, None)
    names = [str(s) for s in ds["scenario"].values]
    name = args.scenario or names[0]
    if name not in names:
        raise InputError(f"no scenario {name!r} in {args.results}; it has: {', '.join(names)}")
    problems = Collector()
    shown = display_path(args.history)
    table = read_table("history", args.history, problems, display=shown)
    problems.raise_if_errors()
    assert table is not None
    every = points(table)
    years = [int(y) for y in ds["year"].values]
    origin = years[0] - 1
    later = [
        p
        for p in every
        if p.year in years and p.indicator in SCORED and observable(p.fund, p.indicator) is None
    ]
    if not later:
        raise InputError(
            f"{shown}: no figure of the forecast's years {years[0]}-{years[-1]} to score it "
            f"against (预测年份内没有实际数据); the history holds "
            f"{min(p.year for p in every)}-{max(p.year for p in every)}"
        )
    values = matrix(ds.sel(scenario=[name]), later)
    rng = np.random.default_rng(origin)
    scored = []
    for k, p in enumerate(later):
        past = {q.year: q.value for q in every if q.series == p.series and q.year <= origin}
        scored.append(
            score(name, p.fund, p.indicator, origin, p.year, p.value, values[:, k], past, rng)
        )
    for lang in ("zh", "en"):
        title = (
            f"{name}：{years[0]}—{years[-1]}年预测的检验（{shown}）"
            if lang == "zh"
            else f"{name}: the forecast of {years[0]}-{years[-1]} against {shown}"
        )
        print(markdown(scored, lang, title), file=out)
    if output is not None:
        with Writing() as writing:
            folder = writing.stage(output)
            write_csv(scored, folder / "score.csv")
            title = f"{name}：预测检验" if args.lang == "zh" else f"{name}: forecast scored"
            (folder / "score.md").write_text(markdown(scored, args.lang, title), encoding="utf-8")
            mark(folder, "score")
        print(f"wrote {args.out}/ (score.csv, score.md)", file=out)
    return EXIT_OK
