"""Write the region data of the Hengshui-like city scenario (scenarios/hengshui/).

Seed 001 gives Hengshui's rules, not its counties' figures: the four areas below are
ILLUSTRATIVE (sizes, age structures and wages chosen to differ as a city's districts and
counties do), and the national structures of fundsim's template stand for the local ones.
Each area's insured by single age, sex and scheme is the template's national structure
within each scheme, tilted by age (``tilt``: weight exp(tilt × (age − 45) / 30), then scaled
back to the scheme's total), so an older county has more old members in every scheme.

Run from the repository root: python scripts/make_hengshui.py
"""

from __future__ import annotations

import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "fundsim" / "templates"
OUT = ROOT / "calibration" / "hengshui"

# ILLUSTRATIVE: insured at the end of 2020 by scheme, and the age tilt of each area
AREAS = {
    "taocheng": ("桃城区 (central district)", 150_000, 45_000, 420_000, -0.35),
    "shenzhou": ("深州市 (county-level city)", 45_000, 20_000, 480_000, 0.0),
    "jingxian": ("景县 (county)", 38_000, 22_000, 450_000, 0.3),
    "wuqiang": ("武强县 (small county)", 12_000, 10_000, 190_000, 0.55),
}
SCHEMES = ("uebmi_active", "uebmi_retired", "urrbmi")


def template_rows() -> tuple[str, list[list[str]], dict[str, int]]:
    lines = (TEMPLATES / "population.csv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line and not line.startswith("#")]
    header = body[0]
    at = {name: i for i, name in enumerate(header.split(","))}
    return header, [r.split(",") for r in body[1:]], at


def area_rows(totals: tuple[int, int, int], tilt: float) -> list[tuple[int, str, str, float]]:
    header, rows, at = template_rows()
    weighted = []
    for r in rows:
        age = int(r[at["age"]])
        weight = float(r[at["persons"]]) * math.exp(tilt * (age - 45) / 30)
        weighted.append((age, r[at["sex"]], r[at["scheme"]], weight))
    sums = {s: sum(w for _, _, sch, w in weighted if sch == s) for s in SCHEMES}
    wanted = dict(zip(SCHEMES, totals, strict=True))
    return [(a, sex, sch, w / sums[sch] * wanted[sch]) for a, sex, sch, w in weighted]


def write_population(
    path: Path, title: str, rows: list[tuple[int, str, str, float]], note: str
) -> None:
    header, _, _ = template_rows()
    totals = {s: sum(p for _, _, sch, p in rows if sch == s) for s in SCHEMES}
    text = [
        f"# Insured persons of {title} by single age, sex and scheme at the end of 2020.",
        "# source: ILLUSTRATIVE - seed 001 (Hengshui) gives no county figures; totals by scheme "
        + ", ".join(f"{s} {totals[s]:,.0f}" for s in SCHEMES)
        + " chosen for a Hengshui-like city (scripts/make_hengshui.py)",
        f"# source: age and sex structure - the template's national insured structure (src/fundsim/templates/population.csv) {note}",
        "# derived by scripts/make_hengshui.py",
        header,
    ]
    text += [f"{a},{sex},{sch},{p:.3f}" for a, sex, sch, p in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")


def main() -> None:
    city: dict[tuple[int, str, str], float] = {}
    for key, (title, active, retired, urrbmi, tilt) in AREAS.items():
        rows = area_rows((active, retired, urrbmi), tilt)
        note = f"tilted by age (tilt {tilt:+.2f}: weight exp(tilt x (age - 45) / 30)), ILLUSTRATIVE"
        write_population(OUT / key / "population.csv", title, rows, note)
        for a, sex, sch, p in rows:
            city[(a, sex, sch)] = city.get((a, sex, sch), 0.0) + p
    write_population(
        OUT / "population.csv",
        "the Hengshui-like city (the sum of its four areas)",
        [(a, sex, sch, p) for (a, sex, sch), p in city.items()],
        "summed over the areas' files",
    )
    for name in ("mortality", "fertility", "admission_rates"):
        text = (TEMPLATES / f"{name}.csv").read_text(encoding="utf-8")
        note = (
            f"# source: DEFAULT - the national {name.replace('_', ' ')} of fundsim's template "
            "(src/fundsim/templates/, its own sources below) for the city and each of its areas\n"
        )
        (OUT / f"{name}.csv").write_text(note + text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
