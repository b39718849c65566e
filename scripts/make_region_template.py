"""Write the region template of ``fundsim init`` from the shipped data.

- ``src/fundsim/templates/defaults.yaml``: every parameter of Nanchuan's baseline (a complete
  set of rules a pooling area may start from), each source prefixed with what it is, a
  default to replace with the local figure; no region, horizon or calibrate section.
- ``src/fundsim/templates/{population,mortality,admission_rates,fertility}.csv``: the national
  region files (calibration/national/), whose age and sex structure ``init`` scales to the
  region's insured by scheme.

A test regenerates the template and compares it with the committed one.

    python scripts/make_region_template.py
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
NATIONAL = ROOT / "calibration" / "national"
OUT = ROOT / "src" / "fundsim" / "templates"
PREFIX = "TEMPLATE DEFAULT (Nanchuan's baseline, fundsim init): replace with the local figure. "
HEADER = (
    "# The defaults of a region made by `fundsim init`: Nanchuan's rules (seed 000 and the\n"
    "# closest seeds, national figures where they are silent), each source saying it is a\n"
    "# default. A region's baseline.yaml extends this file and replaces what it knows.\n"
    "# Written by scripts/make_region_template.py; do not edit by hand.\n"
)


def _mark(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "source" and isinstance(value, str):
                out[key] = PREFIX + value
            else:
                out[key] = _mark(value)
        return out
    return node


def template_text() -> str:
    document = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    kept = {
        "name": "defaults",
        "title": {
            "zh": "地区模板默认参数（南川区规则）",
            "en": "Region template defaults (Nanchuan's rules)",
        },
        "parameters": _mark(document["parameters"]),
        "uncertainty": _mark(document["uncertainty"]),
        "monte_carlo": document["monte_carlo"],
        "outputs": document["outputs"],
    }
    return HEADER + yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=100)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "defaults.yaml").write_text(template_text(), encoding="utf-8")
    for name in ("population", "mortality", "admission_rates", "fertility"):
        shutil.copyfile(NATIONAL / f"{name}.csv", OUT / f"{name}.csv")


if __name__ == "__main__":
    main()
