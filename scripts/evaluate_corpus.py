"""Rerun the out-of-sample evaluation of fundsim on the corpus of real regions and write its
tables (issue 29): docs/evaluation.md and the scored figures in outputs/evaluation/.

Every region of calibration/corpus/ is rebuilt by `fundsim init` at each origin (a year whose
stocks are published, with at least three years of history before it), calibrated to its
history up to the origin, and forecast three years ahead from the origin's stocks; each figure
published for those years scores the forecast against the naive forecasts (last value grown
at its recent growth, and held flat). Nothing dated after an origin enters its forecast.

Two passes: the first forecasts with the model's own noise; the errors of the first pass size
the model-error terms (the yearly AR(1) shocks of the cost per case and of the wage, and the
drawn error of membership, see evaluation/bands.py), estimated for each region from the OTHER regions' errors only (leave one
region out), and the second pass forecasts every origin again with them. The calibrations of
the first pass are kept (--reuse) and only the forecasts run again.

    python scripts/evaluate_corpus.py [--runs 200] [--workers 2] [--reuse]

It takes about two minutes an origin on two cores.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from fundsim.evaluation import bands
    from fundsim.evaluation.record import markdown, write_csv
    from fundsim.evaluation.rolling import CorpusRegion, evaluate
    from fundsim.evaluation.scores import summarise

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--work", type=Path, default=ROOT / "outputs" / "evaluation")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "evaluation.md")
    parser.add_argument("--regions", default="", help="comma-separated keys (default: all)")
    parser.add_argument("--reuse", action="store_true", help="keep earlier calibrations")
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="rewrite the document from the scores stored in --work (no run: after a change "
        "to how the scores are summarised)",
    )
    args = parser.parse_args()
    corpus = ROOT / "calibration" / "corpus"
    keys = [k for k in args.regions.split(",") if k] or sorted(
        p.name for p in corpus.iterdir() if (p / "history.csv").is_file()
    )
    regions = [CorpusRegion.read(corpus / k) for k in keys]
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"{time.perf_counter() - started:7.0f} s  {text}", flush=True)

    if args.tables_only:
        return _tables(args, regions, keys)
    first = evaluate(regions, args.work, args.runs, args.workers, on_step=say, reuse=args.reuse)
    raw = [s for r in first for s in r.scored]
    sized = {k: bands.size([s for s in raw if s.region != k]) for k in keys}  # leave one out
    second = evaluate(
        regions,
        args.work,
        args.runs,
        args.workers,
        on_step=say,
        reuse=True,
        overrides=lambda key, calibrated: bands.overrides(sized[key], calibrated),
    )
    scored = [s for r in second for s in r.scored]
    args.work.mkdir(parents=True, exist_ok=True)
    write_csv(raw, args.work / "scores-model-noise.csv")
    write_csv(scored, args.work / "scores.csv")
    pooled = bands.size(raw)
    if not args.regions:  # the whole corpus: the record every report cites, the bands init gives
        templates = ROOT / "src" / "fundsim" / "templates"
        write_csv(scored, templates / "corpus_record.csv")
        bands.write_template(pooled, templates / "model_error.yaml", dt.date.today().isoformat())
    with (args.work / "origins.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region", "origin", "calibration_rms", "seconds"])
        for r in first:
            writer.writerow([r.region, r.origin, f"{r.rms:.4f}", f"{r.seconds:.0f}"])
    args.out.write_text(
        bands.document(regions, first, raw, scored, sized, pooled, markdown, summarise),
        encoding="utf-8",
    )
    print(f"wrote {args.out} and {args.work}/ in {time.perf_counter() - started:.0f} s")
    print(f"model-error shocks from the whole corpus: {pooled}")
    print(f"({dt.date.today().isoformat()})")
    return 0


def _tables(args: argparse.Namespace, regions: list, keys: list[str]) -> int:  # type: ignore[type-arg]
    """The document rewritten from the stored scores of the last run (--tables-only)."""
    from fundsim.evaluation import bands
    from fundsim.evaluation.record import markdown, read_csv, write_csv
    from fundsim.evaluation.rolling import OriginResult
    from fundsim.evaluation.scores import summarise

    raw = read_csv(args.work / "scores-model-noise.csv")
    scored = read_csv(args.work / "scores.csv")
    with (args.work / "origins.csv").open(encoding="utf-8", newline="") as handle:
        first = [
            OriginResult(
                row["region"],
                int(row["origin"]),
                [s for s in raw if s.region == row["region"] and s.origin == int(row["origin"])],
                float(row["calibration_rms"]),
                float(row["seconds"]),
            )
            for row in csv.DictReader(handle)
        ]
    sized = {k: bands.size([s for s in raw if s.region != k]) for k in keys}
    pooled = bands.size(raw)
    if not args.regions:
        write_csv(scored, ROOT / "src" / "fundsim" / "templates" / "corpus_record.csv")
    args.out.write_text(
        bands.document(regions, first, raw, scored, sized, pooled, markdown, summarise),
        encoding="utf-8",
    )
    print(f"wrote {args.out} from the scores in {args.work}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
