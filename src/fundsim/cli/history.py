"""``fundsim calibrate`` and ``fundsim backtest`` (the command line's history commands)."""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .parser import whole_number

if TYPE_CHECKING:
    from ..ensemble.progress import ProgressBar

EXIT_OK = 0


def add_commands(
    commands: Any, allow: Callable[[argparse.ArgumentParser], None], runs: Any, workers: Any
) -> None:
    init = commands.add_parser(
        "init",
        help="make a new region from a bureau's headline figures",
        description="Write a new region (a fundsim project) into REGION_DIR from FIGURES.yaml: "
        "insured by scheme, fund balances, recent income and spending, and what else is known; "
        "everything else a marked default. Without --figures, write an example "
        "REGION_DIR-figures.yaml to fill in. 由医保局掌握的主要数据新建地区。",
    )
    init.add_argument("region_dir", type=Path, metavar="REGION_DIR")
    init.add_argument(
        "--figures",
        type=Path,
        default=None,
        metavar="FIGURES.yaml",
        help="the region's headline figures (see docs/zh/)",
    )
    calibrate = commands.add_parser(
        "calibrate",
        help="fit a scenario's calibrate: parameters to its region's history",
        description="Fit the free parameters of the scenario's calibrate: section to every "
        "history point up to --until (the Monte Carlo mean, the same runs for every trial), "
        "write a scenario that extends the original with the fitted values and their "
        "uncertainty, and a report of its bands against the history. 按历史数据校准情景参数。",
    )
    calibrate.add_argument("scenario", type=Path, metavar="SCENARIO")
    calibrate.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE.yaml",
        help="the calibrated scenario to write (inside the scenario's project)",
    )
    calibrate.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help="the calibration report folder (default: beside --out, FILE-report/)",
    )
    backtest = commands.add_parser(
        "backtest",
        help="calibrate on the history up to a year and score the forecast of later years",
        description="Calibrate on the history up to --until, project the later history years "
        "and write DIR/backtest.csv (actuals and the bands), DIR/backtest.md (coverage and "
        "MAPE) and a chart per series. Later years only score the forecast. 回测。",
    )
    backtest.add_argument("scenario", type=Path, metavar="SCENARIO")
    backtest.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    backtest.add_argument(
        "--runs", type=runs, default=200, help="runs of the forecast scored (default 200)"
    )
    backtest.add_argument(
        "--rolling",
        action="store_true",
        help="SCENARIO is a folder `fundsim init` wrote: rebuild the region at every year whose "
        "stocks the history holds (3 years of history before it), calibrate it up to that "
        "year, forecast 1-3 years and score them; DIR/rolling.csv, DIR/rolling.md "
        "(滚动回测：逐个预测起点重建、校准、预测并评分)",
    )
    for command in (calibrate, backtest):
        command.add_argument(
            "--history",
            type=Path,
            default=None,
            metavar="FILE",
            help="history.csv (default: the scenario's region.data.history)",
        )
        command.add_argument(
            "--until",
            type=whole_number,
            default=None,
            metavar="YEAR",
            help="fit the history up to this year (default: its last year)",
        )
        command.add_argument(
            "--trial-runs",
            type=_trial_runs,
            default=None,
            metavar="N",
            help="runs a trial, 2 to 1,000 (default: calibrate.runs)",
        )
        if command is calibrate:
            command.add_argument(
                "--check-runs",
                type=runs,
                default=200,
                metavar="N",
                help="runs of the calibrated scenario drawn against the history (default 200)",
            )
        command.add_argument(
            "--lang", choices=["zh", "en"], default="zh", help="chart labels (default zh)"
        )
        command.add_argument(
            "--workers",
            type=workers,
            default=None,
            help="worker processes (default: one per core; 1 serial)",
        )
        command.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="run on Dask ('local' or tcp://HOST:PORT)",
        )
        command.add_argument(
            "--allow-underdetermined",
            action="store_true",
            help="fit even with no more history figures than free parameters (flagged as no "
            "fit; every parameter drawn over its bounds)",
        )
        command.add_argument("--force", action="store_true", help="replace outputs fundsim wrote")
        command.add_argument("--quiet", action="store_true", help="no progress bar")
        allow(command)


def _trial_runs(text: str) -> int:
    """Runs a trial: at least two (the fit's sampling error is their spread), as calibrate.runs."""
    return whole_number(text, 2, 1000)


def _bar(description: str, unit: str, err: TextIO, quiet: bool) -> ProgressBar | None:
    from ..ensemble.progress import ProgressBar

    return None if quiet else ProgressBar(0, description, err, unit)


def _charts(
    rows: list[dict[str, Any]], folder: Path, lang: str, until: int | None, err: TextIO
) -> None:
    from ..plotting.history import write_series_charts
    from ..plotting.style import FontWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FontWarning)
        write_series_charts(rows, folder, lang, until)
    for warning in caught:
        if issubclass(warning.category, FontWarning):
            print(f"fundsim: warning: {warning.message}", file=err)


def _print_fit(result: Any, known: Any, out: TextIO) -> None:
    print("拟合参数 / fitted parameters:", file=out)
    for path, value in result.values.items():
        flag = (
            "  (历史数据无法识别 / not identified by the history)"
            if path in result.unidentified or known.open(path)
            else ""
        )
        if path in result.at_bound:
            flag += "  (拟合值在边界上 / at a bound: the history asks for more)"
        sd = "" if known.underdetermined else f" ± {result.sd[path]:.3g}"  # no residual: no sd
        print(f"  {path}: {result.start[path]:.4g} -> {value:.4g}{sd}{flag}", file=out)
    counts = f"{len(result.points)} points, {result.trials} trials × {result.runs} runs"
    if known.underdetermined:  # no residual to speak of: never shown as a fit's quality
        print(
            f"{known.quality(result.rms, 'zh')} / {known.quality(result.rms, 'en')} ({counts})",
            file=out,
        )
    else:
        print(f"残差均方根 / residual RMS {result.rms:.1%} ({counts})", file=out)
    for zh, en in zip(known.warnings("zh"), known.warnings("en"), strict=True):
        print(f"警告 / WARNING: {zh}\n  {en}", file=out)


EXAMPLE = """\
# fundsim init 的主要数据 / headline figures for fundsim init (yuan and persons).
# 填写后运行 / fill in, then run:  fundsim init REGION_DIR --figures THIS_FILE
region: {zh: 示例市, en: Example City}        # 地区名称 / the region's names
code: "000000"                               # 行政区划代码 / administrative code (optional)
data_year: 2023                              # 以下参保人数和结余所属年份（年末）/ the year-end of the counts and balances
source: "某市医疗保障局2021-2023年统计数据"    # 数据来源，写入每个数值 / cited on every value
insured: {uebmi_active: 300000, uebmi_retired: 110000, urrbmi: 2000000}   # 年末参保人数
#   或按公报口径 / or as bulletins print them: {uebmi: 410000, urrbmi: 2000000} or {total: 2410000, urrbmi: 2000000}
#   （职工医保按全国在职退休比拆分 / UEBMI split by the national active:retired ratio; see init.md）
balances: {uebmi_pool: 2500000000, uebmi_personal: 1200000000, urrbmi_pool: 1100000000}  # 年末累计结余（元）
#   或 / or: {uebmi: 3700000000, urrbmi_pool: 1100000000} or {total: 4800000000, urrbmi_pool: 1100000000}
#   （职工医保结余按全国统筹基金占比拆分 / the UEBMI balance split by the national pool share）
history:                                     # 近年基金收支（元）/ fund income and spending by year
  2021:
    uebmi: {income: 2900000000, expenditure: 2400000000}          # 职工医保（统筹+个人账户）
    urrbmi_pool: {income: 1900000000, expenditure: 1800000000}    # 居民医保
  2022:
    uebmi: {income: 3100000000, expenditure: 2600000000}
    urrbmi_pool: {income: 2000000000, expenditure: 1950000000}
  2023:
    uebmi: {income: 3300000000, expenditure: 2900000000}
    urrbmi_pool: {income: 2100000000, expenditure: 2050000000}
#   也可填合计 / totals too: total: {income: …, expenditure: …, insured: …}（基本医疗保险合计）
#   年份不能晚于 data_year / no year after data_year
# average_wage: {2021: 100000, 2022: 105000, 2023: 110000}   # 当地社平工资（可选，不晚于 data_year）/ local average wage (optional)
# horizon_years: 10                                          # 预测年数 / years forecast (default 10)
# local_policy:            # 当地主要政策（可选；未填的沿用南川区模板默认值，见 init.md）/ local rules (optional; see init.md)
#   uebmi_employer_rate: 0.08                    # 职工医保单位费率（含生育）/ employer rate; or by year {2019: 0.08, 2023: 0.075}
#   uebmi_employee_rate: 0.02                    # 职工医保个人费率 / employee rate
#   urrbmi_premium: {2022: 350, 2023: 380}       # 居民医保个人缴费（元/人/年）/ individual premium by year
#   urrbmi_subsidy: {2022: 610, 2023: 640}       # 居民医保财政补助（元/人/年）/ fiscal subsidy by year
#   account_reform_date: 2023-01-01              # 门诊共济改革实施日期（未实施填 false）/ personal-account reform
#   uebmi_inpatient:                             # 职工医保住院：起付线（元）、报销比例、年度限额
#     deductible: {level1: 200, level2: 400, level3: 700, out_of_area: 900}   # 一个数适用于本地各级
#     ratio: {level1: 0.93, level2: 0.90, level3: 0.85}                       # 在职 / active
#     ratio_retired: {level1: 0.95, level2: 0.92, level3: 0.87}               # 退休 / retired
#     annual_cap: 300000
#   urrbmi_inpatient: {deductible: {level1: 200, level2: 400, level3: 700}, ratio: {level1: 0.90, level2: 0.80, level3: 0.65}, annual_cap: 150000}
#   critical_illness_premium: 77                 # 大病保险筹资（元/人/年）/ critical-illness premium
# rules:                                                     # 其他参数（可选，同情景 parameters:）
#   benefits: {urrbmi: {inpatient: {annual_cap: {value: 150000, source: "local notice"}}}}
"""


def init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .. import places
    from ..scenario.newregion import init_region
    from ..source.diagnostics import InputError

    target = args.region_dir
    if args.figures is None:
        example = Path(f"{target}-figures.yaml")
        if example.exists():
            raise InputError(
                f"{example} exists; fill it in and run: fundsim init {target} --figures {example}"
            )
        # the form is the user's once written (never marked as fundsim's: nothing replaces it)
        form = places.check_output(example, places.NEW_FILE, False, option="REGION_DIR")
        places.write_output(form, EXAMPLE.encode("utf-8"))
        print(
            f"wrote {example}: 请填写本地区数据后运行 / fill in the region's figures, then run:\n"
            f"  fundsim init {target} --figures {example}",
            file=out,
        )
        return EXIT_OK
    made = init_region(target, args.figures)
    for warning in made.warnings:
        print(warning.format(), file=err)
    if made.filled:
        print("按规则填补的数值 / values filled by a rule (ASSUMPTIONS, see init.md):", file=out)
        for a in made.filled:
            print(f"  {a.what} = {a.shown}: {a.rule_zh}\n    {a.source}", file=out)
    print(
        f"{made.nanchuan_defaults}项参数仍为南川区模板默认值，见 init.md / {made.nanchuan_defaults} "
        f"values still Nanchuan's template defaults; see init.md",
        file=out,
    )
    print(f"wrote {target}/ ({len(made.files)} files). 下一步 / next:", file=out)
    for step in (
        f"fundsim validate {target}/scenarios/baseline.yaml",
        f"fundsim calibrate {target}/scenarios/baseline.yaml --out {target}/scenarios/calibrated.yaml",
        f"fundsim run {target}/scenarios/calibrated.yaml --out {target}/outputs/calibrated",
        f"fundsim report {target}/outputs/calibrated",
    ):
        print(f"  {step}", file=out)
    return EXIT_OK


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .. import places
    from ..calibration.identify import identify, underdetermined_message
    from ..calibration.run import bounds_of, calibrate, check_calibrated, plan
    from ..scenario.paths import display_path
    from ..source.diagnostics import InputError

    if args.command == "backtest" and args.rolling:
        return _rolling(args, out, err)
    chosen = plan(args.scenario, args.history, args.until, args.allow_outside)
    scenario = chosen.scenario
    assert scenario.calibrate is not None  # plan() refuses a scenario without one
    # every file the command reads: the chain, its region data, the history
    inputs = [*scenario.files, *scenario.region_files.values(), chosen.history_file]
    if args.command == "backtest":
        if not chosen.later:
            raise InputError(
                f"the history {chosen.history_file.name} has no point after {chosen.until} to "
                "test the forecast on; choose an earlier --until"
            )
        outputs = [places.check_output(args.out, "backtest", args.force, inputs=inputs)]
    else:
        scenario_out = check_calibrated(args.out, scenario, args.force, args.allow_outside, inputs)
        place = args.report or scenario_out.target.with_name(f"{scenario_out.target.stem}-report")
        report_out = places.check_output(
            place, "calibration", args.force, option="--report", inputs=inputs
        )
        if scenario_out.target.is_relative_to(report_out.target):
            raise places.OutputError(
                f"--report {place}: holds the calibrated scenario --out {args.out}; choose a "
                "report folder beside it (默认为 FILE-report/)"
            )
        outputs = [scenario_out, report_out]
        if chosen.later:  # fitted up to --until: what comes after is not used (backtest scores it)
            chosen.warnings.append(
                f"{display_path(chosen.history_file)}: {len(chosen.later)} figure(s) after --until "
                f"{chosen.until} not fitted (--until 之后的数据不参与拟合)"
            )
    n, k = len(chosen.fitted), len(scenario.calibrate.parameters)
    if n <= k:
        shown = underdetermined_message(
            n,
            k,
            f"{chosen.first_year}-{chosen.until}",
            display_path(chosen.history_file),
            display_path(scenario.file),
        )
        if not args.allow_underdetermined:
            raise InputError(shown)
        print(f"fundsim: warning: {shown}", file=err)
    for w in scenario.warnings:
        print(w.format(), file=err)
    for warning in chosen.warnings:
        print(f"fundsim: warning: {warning}", file=err)
    print(
        f"校准 / calibrating {k} parameters to {n} history points {chosen.first_year}-{chosen.until}",
        file=err,
    )
    bar = _bar("trials 试算", "trial", err, args.quiet)
    try:
        result, over = calibrate(
            chosen, args.workers, args.scheduler, args.allow_outside, bar, args.trial_runs
        )
    finally:
        if bar is not None:
            bar.close()
    if over.start_note:  # e.g. the data year's population standing for an earlier year
        chosen.warnings.append(over.start_note[1])
        print(f"fundsim: note: {over.start_note[0]} / {over.start_note[1]}", file=err)
    known = identify(result, bounds_of(chosen))
    _print_fit(result, known, out)
    with places.Writing() as writing:  # every output in place together, or none
        staged = [writing.stage(output) for output in outputs]
        if args.command == "calibrate":
            inside = _write_calibration(args, chosen, result, outputs[0].target, staged, err)
        else:
            summary = _write_backtest(args, chosen, result, staged[0], err)
    if args.command == "calibrate":
        print(
            f"wrote {args.out} and {outputs[1].target}/ (calibration.md, calibration.csv, "
            f"charts); actuals inside the 10-90% band: {inside:.0%}",
            file=out,
        )
        if known.flagged:
            print(
                "警告：拟合结果不如其数字所示可靠，见上方说明 / WARNING: the fit says less than "
                "its numbers; see the warnings above",
                file=err,
            )
        return EXIT_OK
    c, rows = summary
    last = max(p.year for p in chosen.later)
    print(
        f"回测 / backtest {chosen.until + 1}-{last}, {c['n']} figures: inside 50% {c['inside_50']:.0%}, "
        f"80% {c['inside_80']:.0%}, 90% {c['inside_90']:.0%}; MAPE {c['mape']:.1%}",
        file=out,
    )
    for r in rows:
        mark = "✓" if r["inside_80"] else "✗"
        print(
            f"  {mark} {r['year']} {r['fund']} {r['indicator']}: actual {r['actual']:,.0f}, "
            f"median {r['p50']:,.0f} ({r['error']:+.1%}), 10-90% {r['p10']:,.0f} – {r['p90']:,.0f}",
            file=out,
        )
    print(f"wrote {args.out}/ (backtest.csv, backtest.md, calibrated.yaml, charts)", file=out)
    return EXIT_OK


def _write_calibration(
    args: argparse.Namespace,
    chosen: Any,
    result: Any,
    target: Path,
    staged: list[Path],
    err: TextIO,
) -> float:
    """The calibrated scenario (written at its staged name beside ``target``, where its
    extends: path is the same; the check band runs on it) and its report folder; returns the
    share of actuals inside the 10-90% band."""

    from ..calibration import report
    from ..calibration.run import (
        band,
        band_table,
        horizon_of,
        scenario_text,
        write_scenario,
    )
    from ..places import mark

    scenario_file, folder = staged
    write_scenario(scenario_file, scenario_text(chosen, result, target), args.allow_outside)
    checking = _bar("check 检验", "run", err, args.quiet)
    try:
        values = band(
            scenario_file,
            chosen.fitted,
            horizon_of(chosen.first_year, chosen.until),
            args.check_runs,
            args.workers,
            args.scheduler,
            args.allow_outside,
            checking,
        )
    finally:
        if checking is not None:
            checking.close()
    rows = band_table(chosen.fitted, values)
    report.write_calibration(folder, chosen, result, rows, target)
    _charts(rows, folder, args.lang, None, err)
    mark(folder, "calibration")
    return float(report.coverage(rows)["inside_80"])


def _write_backtest(
    args: argparse.Namespace, chosen: Any, result: Any, folder: Path, err: TextIO
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The backtest folder: the calibrated scenario, the forecast of every history year and
    the score of the later ones; returns the coverage and the later rows."""
    import numpy as np

    from ..calibration import report
    from ..calibration.run import (
        band,
        band_table,
        forecast_start,
        horizon_of,
        scenario_text,
        write_scenario,
    )
    from ..places import mark
    from ..scenario.paths import project_root

    allow = [*args.allow_outside, project_root(chosen.scenario.file)]
    last = max(p.year for p in chosen.later)
    path = folder / "calibrated.yaml"  # its extends: path is the same as in the folder's place
    write_scenario(path, scenario_text(chosen, result, path), allow)
    # the forecast starts from what was known at the end of --until, as a bureau's would: the
    # actual insured and balances of that year end (the history's), never the run of the fit
    start = forecast_start(chosen.scenario, chosen.history, chosen.until)
    scoring = _bar("forecast 预测", "run", err, args.quiet)
    try:
        fitted = band(
            path,
            chosen.fitted,
            horizon_of(chosen.first_year, chosen.until),
            args.runs,
            args.workers,
            args.scheduler,
            allow,
            scoring,
        )
        ahead = band(
            path,
            chosen.later,
            horizon_of(chosen.until + 1, last),
            args.runs,
            args.workers,
            args.scheduler,
            allow,
            scoring,
            start_from=start,
        )
    finally:
        if scoring is not None:
            scoring.close()
    every = [*chosen.fitted, *chosen.later]
    values = np.concatenate([fitted, ahead], axis=1)
    rows = band_table(every, values)
    later = [r for r in rows if r["year"] > chosen.until]
    coverage = report.write_backtest(folder, chosen, result, later)
    _charts(rows, folder, args.lang, chosen.until, err)
    mark(folder, "backtest")
    return coverage, later


def _rolling(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``backtest REGION_DIR --rolling``: the region rebuilt, calibrated and forecast at every
    origin its history allows (:mod:`fundsim.evaluation.rolling`), scored out of sample."""
    import time

    from .. import places
    from ..evaluation.record import losses, markdown, verdict, write_csv
    from ..evaluation.rolling import (
        HORIZONS,
        MIN_BEFORE,
        CorpusRegion,
        evaluate,
        lacking,
        name_of,
        origins,
    )
    from ..source.diagnostics import InputError

    folder = args.scenario
    if args.until is not None:
        raise InputError(
            "--rolling forecasts from every origin the history allows; --until names one: "
            "give one of them (--rolling 与 --until 不能同时使用)"
        )
    figures = folder / "figures.yaml"
    if not folder.exists():
        raise InputError(
            f"{folder}: no such folder; --rolling takes the folder `fundsim init` wrote "
            "(文件夹不存在：滚动回测需要 fundsim init 生成的地区文件夹)"
        )
    if not folder.is_dir() or not figures.is_file():
        raise InputError(
            f"{folder}: --rolling takes the folder `fundsim init` wrote (figures.yaml and "
            "calibration/history.csv), not a scenario file (滚动回测需要 fundsim init 生成的地区文件夹)"
        )
    history = args.history or folder / "calibration" / "history.csv"
    region = CorpusRegion.from_files(folder.resolve().name, figures, history)
    found = origins(region)
    if not found:
        years = sorted({p.year for p in region.history})[-6:]
        why = "".join(
            f"\n  {year}: lacks {'; '.join(en for _, en in lacking(region, year))} "
            f"(缺{'；'.join(zh for zh, _ in lacking(region, year))})"
            for year in years
        )
        raise InputError(
            f"{history}: no year to forecast from: an origin needs the insured and balances of "
            f"both schemes at its end, {MIN_BEFORE} years of income or spending before it, and "
            f"a figure within {HORIZONS} years after it (历史数据中没有可作为预测起点的年份：需要"
            f"该年末两项制度的参保人数和累计结存、此前{MIN_BEFORE}年的收支和此后{HORIZONS}年内的实际数据)"
            f"{why}\nadd the rows named to history.csv (fund, indicator as written)"
        )
    output = places.check_output(args.out, "rolling", args.force, inputs=[figures, history])
    print(
        f"滚动回测 / rolling backtest of {name_of(region, 'zh')} / {name_of(region, 'en')}: "
        f"预测起点 origins {', '.join(map(str, found))}, 1-{HORIZONS} years ahead, "
        f"{args.runs} runs each",
        file=err,
    )
    started = time.perf_counter()

    def say(text: str) -> None:
        if not args.quiet:
            print(f"{time.perf_counter() - started:6.0f} s  {text}", file=err, flush=True)

    with places.Writing() as writing:
        staged = writing.stage(output)
        results = evaluate(
            [region],
            staged / "origins",
            args.runs,
            args.workers,
            args.trial_runs,
            on_step=say,
            model_error=True,  # calibrated as calibrate does: the record of the forecast given
        )
        scored = [s for r in results for s in r.scored]
        write_csv(scored, staged / "rolling.csv")
        title = {
            "zh": f"{name_of(region, 'zh')} 滚动回测（样本外）",
            "en": f"{name_of(region, 'en')}: rolling backtest (out of sample)",
        }
        (staged / "rolling.md").write_text(
            "\n".join(markdown(scored, lang, title[lang]) for lang in ("zh", "en")),
            encoding="utf-8",
        )
        places.mark(staged, "rolling")
    for lang in ("zh", "en"):
        print(verdict(scored, lang), file=out)
        lost = losses(scored, lang)
        if lost:
            print(lost, file=out)
    print(f"wrote {args.out}/ (rolling.csv, rolling.md, origins/)", file=out)
    return EXIT_OK
