"""The levers the workbench offers for a scenario, and the scenario a change of them makes.

A lever is a parameter of the scenario language a planner pulls: the DRG/DIP share, the
procurement coverage, the reimbursement ratios, the URRBMI premium and subsidy, the
retirement ages, supervision, direct settlement, and for a city the pooling mode and the
reserve share. A change is a dated value (from a day on); the scenario it makes is a small
YAML file that ``extends`` the baseline and writes the changes as ``policy`` entries, checked
by the same loader as ``fundsim validate`` (the same located messages).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..scenario.loader import Scenario

# (path, the group it is shown in); a group path sets every level at once (issue 16)
LEVERS = (
    ("payment.drg.share", "payment"),
    ("payment.global_budget.enabled", "payment"),
    ("payment.procurement.drug_coverage", "payment"),  # a procurement round: what it covers,
    ("payment.procurement.drug_price_cut", "payment"),  # how far prices fall,
    ("payment.procurement.consumable_coverage", "payment"),
    ("payment.procurement.consumable_price_cut", "payment"),
    ("payment.procurement.retention", "payment"),  # and what the hospitals keep
    ("benefits.urrbmi.inpatient.ratio", "benefits"),
    ("benefits.uebmi.inpatient.ratio", "benefits"),
    ("benefits.urrbmi.outpatient.ratio", "benefits"),
    ("contributions.urrbmi.individual_premium", "financing"),
    ("contributions.urrbmi.fiscal_subsidy", "financing"),
    ("contributions.uebmi.employer_rate", "financing"),
    ("population.retirement_age.male", "population"),
    ("population.retirement_age.female_worker", "population"),
    ("supervision.detection", "supervision"),
    ("settlement.out_of_area.direct_share", "supervision"),
    ("pooling.mode", "pooling"),
    ("pooling.reserve.share", "pooling"),
)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def levers(scenario: Scenario) -> list[dict[str, Any]]:
    """The levers of ``scenario``: path, names, unit, kind, its value on the first day and
    its path (``[year, value]`` on 1 January of each year it changes, the first shown year
    first; for a group, the first member's), its bounds, and the values a choice may take."""
    from ..parameters.catalogue import load_catalogue

    catalogue = load_catalogue()
    day = scenario.reported_start or scenario.horizon.start
    years = range(day.year + 1, scenario.horizon.end.year + 1)
    out = []
    for path, group in LEVERS:
        if path.startswith("pooling.") and not scenario.areas:
            continue  # a one-area scenario has no pooling
        members = [p for p in catalogue.paths if p == path or p.startswith(path + ".")]
        if not members:
            continue
        entry = catalogue[members[0]]
        value = _shown(scenario.tree.value(members[0], day))
        steps = [[day.year, value]]
        for year in years:
            later = _shown(scenario.tree.value(members[0], dt.date(year, 1, 1)))
            if later != steps[-1][1]:
                steps.append([year, later])
        out.append(
            {
                "path": path,
                "group": group,
                "name_zh": entry.description_zh or entry.description,
                "name_en": entry.description,
                "unit": entry.unit,
                "kind": entry.kind.name,
                "value": value,
                "steps": steps,
                "choices": [True, False]
                if entry.kind.name == "bool"
                else entry.kind.adapter.json_schema().get("enum"),
                "lower": entry.lower,
                "upper": entry.upper,
                "members": len(members),
            }
        )
    return out


def _shown(value: Any) -> Any:
    """A value as the page shows it (a number rounded off its float noise)."""
    if isinstance(value, float):
        return round(value, 10)
    return value if isinstance(value, (bool, int, str)) else str(value)


def draft(baseline: Path, name: str, changes: list[dict[str, Any]], place: Path) -> str:
    """The YAML of a scenario that extends ``baseline`` with ``changes`` (each ``{path,
    date, value}``), to be written in ``place`` (its ``extends`` relative to it)."""
    if not NAME.match(name):
        raise ValueError(
            f"name {name!r}: letters, digits, '-' and '_', starting with a letter or digit"
        )
    policy: dict[str, Any] = {}
    for change in changes:
        path = str(change["path"])
        try:
            date = dt.date.fromisoformat(str(change.get("date")))
        except ValueError:
            raise ValueError(f"{path}: give the day the change holds from (YYYY-MM-DD)") from None
        entry = policy.setdefault(
            path, {"source": "fundsim serve: a planner's change (ASSUMPTION)"}
        )
        entry[date] = change["value"]
    document = {
        "extends": Path(os.path.relpath(baseline, place)).as_posix(),
        "name": name,
        "title": {"zh": f"{name}（工作台方案）", "en": f"{name} (workbench scenario)"},
        "policy": policy,
    }
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def moved(source: Path, place: Path) -> str:
    """The scenario file ``source`` as written in the folder ``place``: its ``extends``
    relative to there (a draft saved beside the scenarios)."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    baseline = (source.parent / document["extends"]).resolve()
    document["extends"] = Path(os.path.relpath(baseline, place)).as_posix()
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def loaded(source: Path) -> dict[str, Any]:
    """A scenario file as the page loads it: its text, its dated changes of the levers
    (``{path, date, value}``, for the controls) and the other parameters it changes (the
    controls cannot show them: it is compared as written)."""
    text = source.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    policy = document.get("policy") if isinstance(document, dict) else None
    paths = {path for path, _ in LEVERS}
    changes: list[dict[str, Any]] = []
    others = [str(k) for k in (document if isinstance(document, dict) else {})
              if k not in ("extends", "name", "title", "description", "policy")]  # fmt: skip
    for path, entry in (policy or {}).items():
        dated = {k: v for k, v in entry.items() if k != "source"} if isinstance(entry, dict) else {}
        if path not in paths or not dated:
            others.append(str(path))
            continue
        for date, value in dated.items():
            changes.append({"path": path, "date": str(date), "value": value})
    return {"yaml": text, "changes": changes, "others": others}
