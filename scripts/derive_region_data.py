"""Derive the region data files under calibration/<region>/ from the public data in data/ (a copy of ../shared/data).

Run from the repository root:  python scripts/derive_region_data.py [--shared FOLDER-HOLDING-data/]

Every file written starts with comment lines naming its sources and the derivation, so the
numbers carry their provenance. The seeds give only totals by scheme; the age and sex
structure is the national one (INFERRED) until local census tables are found.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOP_AGE = 110
AGES = np.arange(TOP_AGE + 1)

REGIONS = {
    "national": {
        "uebmi": 316_808_000,
        "urrbmi": 1_027_778_000,
        "coverage": 0.957,
        "ratio": 2.78,
        "ratio_source": "2.78 - national 2018 ratio (NHSA via shared/data/national_fund_2018_2022.csv, official)",
        "source": "national 2018: UEBMI 31,680.8万, URRBMI 102,777.8万 including the NRCMS "
        "(shared/data/national_fund_2018_2022.csv, NHSA long series); coverage 134,458.6万 ÷ "
        "140,541万 population = 95.7% (shared/data/uebmi_active_retiree_ratio_1998_2022.csv)",
    },
    "nanchuan": {
        "uebmi": 82_000,
        "urrbmi": 536_000,
        "coverage": 0.95,
        "source": "seed 000 (南川区医疗保障“十四五”规划): 2020 insured 61.8万 = 职工医保 8.2万 + 居民医保 53.6万; coverage ≥ 95%",
    },
    "yangjiang": {
        "uebmi": 303_000,
        "urrbmi": 2_412_900,
        "coverage": 0.999,
        "source": "seed 003 (阳江市医疗保障局2019年工作总结): 城乡居民 241.29万, 城镇职工 30.30万, coverage > 99.9% "
        "(the seed's total 271.29万 is 3,000 below the sum of the schemes; the scheme figures are used)",
    },
}
ACTIVE_TO_RETIRED = (
    2.82  # national 2020 (national_fund_2018_2022.csv, UEBMI active_retiree_ratio, official)
)
# CALIBRATED with the UEBMI entry and exit rates of the baselines on the national ratio
# 2018-2022 (calibration/national/workforce.yaml): 0.5 gives a ratio 0.1 too high, 1.0 (no
# fall) too many retirements (national retirees +3.6% a year, shared/data)
OLDER_WORKERS = 0.7
RATIO_SOURCE = "2.82 - national 2020 ratio (NHSA via shared/data/national_fund_2018_2022.csv); no local ratio in the seeds (INFERRED for the region)"


def read_rows(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def life_table(shared: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = read_rows(shared / "data" / "china_life_table_2020.csv")
    qx_m = np.ones(TOP_AGE + 1)
    qx_f = np.ones(TOP_AGE + 1)
    for row in rows:
        age = int(row["age"])
        qx_m[age], qx_f[age] = float(row["qx_male"]), float(row["qx_female"])
    return qx_m, qx_f


def national_structure(
    shared: Path, qx_m: np.ndarray, qx_f: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Persons by single age and sex (national shares, arbitrary level)."""
    rows = read_rows(shared / "data" / "population_2020_by_age.csv")
    bins = {r["age_group"]: float(r["value"]) for r in rows if r["dataset"] == "WPP2019_est_2020"}
    census = {
        (r["age_group"], r["sex"]): float(r["value"]) for r in rows if r["dataset"] == "census2020"
    }
    lx_m = np.concatenate([[1.0], np.cumprod(1 - qx_m)[:-1]])
    lx_f = np.concatenate([[1.0], np.cumprod(1 - qx_f)[:-1]])
    both = np.zeros(TOP_AGE + 1)
    for low in range(0, 80, 10):
        both[low : low + 10] = bins[f"{low}-{low + 9}"] / 10
    tail = (lx_m + lx_f)[80:]
    both[80:] = bins["80+"] * tail / tail.sum()
    # Male share by age: sex ratio at birth tilted by survival, with the ratio at birth chosen so
    # the overall male share matches the 2020 census (DERIVED).
    target = census[("total", "male")] / census[("total", "both")]
    low, high = 0.8, 1.4
    for _ in range(60):
        srb = (low + high) / 2
        denominator = srb * lx_m + lx_f
        share = np.divide(
            srb * lx_m, denominator, out=np.full_like(lx_m, 0.5), where=denominator > 0
        )
        if (both * share).sum() / both.sum() < target:
            low = srb
        else:
            high = srb
    return both * share, both * (1 - share)


def employment_weights(
    female_cadre_share: float = 0.3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Relative propensity to be an active or retired UEBMI member by age (INFERRED shapes)."""
    ramp = np.clip((AGES - 17) / 8, 0, 1)  # entering formal work from 18 to 25
    # fewer older people hold formal jobs: from 45 the propensity falls linearly, to
    # OLDER_WORKERS of its level by 59 (the cohorts born before the 1990s reforms worked
    # in farming and informal jobs more often)
    ramp = ramp * np.clip(1 - (1 - OLDER_WORKERS) * (AGES - 45) / 14, OLDER_WORKERS, 1)
    active_m = ramp * (AGES < 60)
    active_f = ramp * np.where(AGES < 50, 1.0, np.where(AGES < 55, female_cadre_share, 0.0))
    retired_m = (AGES >= 60).astype(float)
    retired_f = np.where(AGES >= 55, 1.0, np.where(AGES >= 50, 1 - female_cadre_share, 0.0))
    return active_m, active_f, retired_m, retired_f


def write_csv(path: Path, comments: list[str], header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for line in comments:
            handle.write(f"# {line}\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def integerise(values: np.ndarray, total: int) -> np.ndarray:
    """Round to whole persons keeping the exact total (largest remainders)."""
    floors = np.floor(values).astype(np.int64)
    short = total - floors.sum()
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:short]] += 1
    return floors


def derive_population(
    region: str, spec: dict[str, object], male: np.ndarray, female: np.ndarray
) -> None:
    uebmi, urrbmi = int(spec["uebmi"]), int(spec["urrbmi"])  # type: ignore[call-overload]
    ratio = float(spec.get("ratio", ACTIVE_TO_RETIRED))  # type: ignore[arg-type]
    active_total = round(uebmi * ratio / (1 + ratio))
    retired_total = uebmi - active_total
    a_m, a_f, r_m, r_f = employment_weights()
    counts: dict[tuple[str, str], np.ndarray] = {}
    for scheme, total, w_m, w_f in (
        ("uebmi_active", active_total, a_m, a_f),
        ("uebmi_retired", retired_total, r_m, r_f),
    ):
        weights = np.concatenate([male * w_m, female * w_f])
        people = integerise(weights / weights.sum() * total, total)
        counts[(scheme, "male")], counts[(scheme, "female")] = (
            people[: TOP_AGE + 1],
            people[TOP_AGE + 1 :],
        )
    # URRBMI: everyone else who is insured; residents are scaled so the schemes' sum is the
    # insured total, then UEBMI members are taken out age by age.
    residents = (uebmi + urrbmi) / float(spec["coverage"])  # type: ignore[arg-type]
    scale = residents / (male.sum() + female.sum())
    rest_m = np.clip(
        male * scale * float(spec["coverage"])
        - counts[("uebmi_active", "male")]
        - counts[("uebmi_retired", "male")],
        0,
        None,
    )  # type: ignore[arg-type]
    rest_f = np.clip(
        female * scale * float(spec["coverage"])
        - counts[("uebmi_active", "female")]
        - counts[("uebmi_retired", "female")],
        0,
        None,
    )  # type: ignore[arg-type]
    rest = np.concatenate([rest_m, rest_f])
    people = integerise(rest / rest.sum() * urrbmi, urrbmi)
    counts[("urrbmi", "male")], counts[("urrbmi", "female")] = (
        people[: TOP_AGE + 1],
        people[TOP_AGE + 1 :],
    )
    rows = [
        [age, sex, scheme, int(counts[(scheme, sex)][age])]
        for scheme in ("uebmi_active", "uebmi_retired", "urrbmi")
        for sex in ("male", "female")
        for age in AGES
        if counts[(scheme, sex)][age] > 0
    ]
    write_csv(
        ROOT / "calibration" / region / "population.csv",
        [
            f"Insured persons of {region} by single age, sex and scheme at the start of the horizon.",
            f"source: totals by scheme - {spec['source']}",
            f"source: UEBMI active:retired = {spec.get('ratio_source', RATIO_SOURCE)}",
            "source: age structure - UN WPP2019 2020 estimate for China, 10-year bins (shared/data/population_2020_by_age.csv), spread evenly within bins; 80+ spread by survival of shared/data/china_life_table_2020.csv (INFERRED)",
            "source: sex split - survival-tilted ratio at birth fitted to the 2020 census male share 51.24% (DERIVED)",
            f"source: scheme by age - INFERRED propensities: formal work from 18-25, falling from 45 to {OLDER_WORKERS:g} of its level by 59 (CALIBRATED on the national active:retired ratio 2018-2022, calibration/national/workforce.yaml), to retirement (men 60, women 50 worker / 55 cadre, 30% cadres); URRBMI is the insured rest",
            "derived by scripts/derive_region_data.py",
        ],
        ["age", "sex", "scheme", "persons"],
        rows,
    )


def derive_mortality(region: str, qx_m: np.ndarray, qx_f: np.ndarray) -> None:
    write_csv(
        ROOT / "calibration" / region / "mortality.csv",
        [
            "Probability of dying within the year by single age and sex (national, used for the region).",
            "source: shared/data/china_life_table_2020.csv - INFERRED Gompertz-Makeham table fitted to the 2020 life expectancy (male 75.3, female 80.8) and infant mortality 5.4 per mille (NHC); qx = 1 from age 105",
            "derived by scripts/derive_region_data.py",
        ],
        ["age", "qx_male", "qx_female"],
        [[age, f"{qx_m[age]:.6g}", f"{qx_f[age]:.6g}"] for age in AGES],
    )


# Relative admission rate and cost per case by age band (INFERRED shapes: the NHSS 2018 rate for
# older adults 24.9% against 18.2% overall; a full age table was not found).
BANDS = [(0, 4), (5, 14), (15, 44), (45, 59), (60, 69), (70, 79), (80, TOP_AGE)]
RATE_SHAPE = np.array([0.9, 0.35, 0.6, 0.9, 1.5, 2.1, 2.6])
COST_SHAPE = np.array([0.7, 0.6, 0.85, 1.0, 1.1, 1.15, 1.1])
# National 2021 discharges per insured (nhsa_inpatient_series_2012_2022.csv, DERIVED columns).
URRBMI_RATE_2021 = 0.152
UEBMI_RATE_2021 = 0.167


def derive_admissions(region: str) -> None:
    population = read_rows(ROOT / "calibration" / region / "population.csv")
    by_band = {s: np.zeros(len(BANDS)) for s in ("uebmi_active", "uebmi_retired", "urrbmi")}
    for row in population:
        age = int(row["age"])
        band = next(i for i, (lo, hi) in enumerate(BANDS) if lo <= age <= hi)
        by_band[row["scheme"]][band] += float(row["persons"])
    # URRBMI scaled so its members average the national 2021 rate.
    urrbmi_scale = (
        URRBMI_RATE_2021 * by_band["urrbmi"].sum() / (RATE_SHAPE * by_band["urrbmi"]).sum()
    )
    # UEBMI: one scale for active and retired members so that together they average the
    # national 2021 rate; the age shape then makes retirees use more.
    uebmi_people = by_band["uebmi_active"] + by_band["uebmi_retired"]
    uebmi_scale = UEBMI_RATE_2021 * uebmi_people.sum() / (RATE_SHAPE * uebmi_people).sum()
    rows = []
    for scheme, scale in (
        ("uebmi_active", uebmi_scale),
        ("uebmi_retired", uebmi_scale),
        ("urrbmi", urrbmi_scale),
    ):
        for (lo, hi), rate, cost in zip(BANDS, RATE_SHAPE * scale, COST_SHAPE, strict=True):
            rows.append([lo, hi, scheme, f"{rate:.4f}", f"{cost:.2f}"])
    write_csv(
        ROOT / "calibration" / region / "admission_rates.csv",
        [
            "Inpatient admissions per member-year and cost per case relative to the level means, by age band and scheme.",
            f"source: levels - national 2021 discharges per insured, UEBMI {UEBMI_RATE_2021}, URRBMI {URRBMI_RATE_2021} (shared/data/nhsa_inpatient_series_2012_2022.csv, DERIVED), matched over this region's population",
            "source: age shape - INFERRED, anchored on NHSS 2018 hospitalisation of older adults 24.9% vs 18.2% overall (shared/data/age_profile_anchors.csv); to be fitted in calibration",
            "derived by scripts/derive_region_data.py",
        ],
        ["age_from", "age_to", "scheme", "rate", "cost_factor"],
        rows,
    )


# Share of lifetime births by 5-year age group of the mother (INFERRED shape, peak at 25-29).
FERTILITY_SHAPE = {15: 0.02, 20: 0.20, 25: 0.38, 30: 0.27, 35: 0.10, 40: 0.025, 45: 0.005}


def derive_fertility(region: str) -> None:
    rows = [
        [low + k, f"{share / 5:.4f}"] for low, share in FERTILITY_SHAPE.items() for k in range(5)
    ]
    write_csv(
        ROOT / "calibration" / region / "fertility.csv",
        [
            "Share of a woman's lifetime births at each age of the mother; scaled by population.fertility_rate.",
            "source: INFERRED shape (peak 25-29) - no age-specific fertility table in shared/data; the level comes from the TFR (2020 census 1.3, shared/data/fertility_mortality_anchors.csv)",
            "derived by scripts/derive_region_data.py",
        ],
        ["age", "share"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT,
        help="the folder holding data/ (default: this repository)",
    )
    args = parser.parse_args()
    qx_m, qx_f = life_table(args.shared)
    male, female = national_structure(args.shared, qx_m, qx_f)
    for region, spec in REGIONS.items():
        derive_population(region, spec, male, female)
        derive_mortality(region, qx_m, qx_f)
        derive_admissions(region)
        derive_fertility(region)
        print(f"wrote calibration/{region}/")


if __name__ == "__main__":
    main()
