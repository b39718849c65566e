"""The dozen rules of ``local_policy:`` as the scenario's parameters (:mod:`.localpolicy` reads
them), over the region template (``fundsim/templates/defaults.yaml``).

- a rate: one number for every year, or by year (the first year's holding before it, said);
- a standard per person (premium, subsidy, critical-illness premium): the years given (one
  number: the data year's); before them the template's dated values (the national minima), or
  else the first given year's; after them the template's rule (its national pace, said);
- the reform date: not in force from the region's first year, in force from the date;
- a deductible or ratio: one number for every local level (out of area keeps the template's),
  or by level; the retirees' UEBMI ratio, when not given, the active members' (an ASSUMPTION);
- an annual cap: one number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .filling import Assumption
from .localpolicy import DOZEN, LOCAL_LEVELS, Figure

if TYPE_CHECKING:
    from .figures import Read

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@cache
def template_parameters() -> dict[str, Any]:
    """The region template's parameters (``fundsim/templates/defaults.yaml``)."""
    document = yaml.safe_load((TEMPLATES / "defaults.yaml").read_text(encoding="utf-8"))
    parameters: dict[str, Any] = document["parameters"]
    return parameters


def template_node(path: str) -> Any:
    node: Any = template_parameters()
    for key in path.split("."):
        node = node[key]
    return node


@dataclass
class PolicyTree:
    """What ``local_policy:`` writes into the baseline's parameters.

    tree : the parameters (nested, as a scenario's ``parameters:``)
    origin : per parameter path written, the place in the figures file it comes from
    filled : the values the figures did not give, filled by a rule
    notes : per figure key, what stands beside the figures' values (template years and rules)
    """

    tree: dict[str, Any]
    origin: dict[str, tuple[str, ...]]
    filled: list[Assumption]
    notes: dict[str, str]


def policy_parameters(read: Read, cite: str, first: int) -> PolicyTree:
    """The parameters of the figures' ``local_policy`` (read by :func:`check_local_policy`)."""
    tree: dict[str, Any] = {}
    out = PolicyTree(tree, {}, [], {})
    policy = read.policy
    y = read.figures.data_year
    source = f"{cite} (local_policy)"
    for figure in DOZEN:
        head, _, sub = figure.key.partition(".")
        value = policy.get(head, {}).get(sub) if sub else policy.get(head)
        if value is None:
            continue
        where = ("local_policy", head, *((sub,) if sub else ()))
        path = figure.paths[0]
        if figure.kind == "rate":
            node = _dated(value, first, source, figure, out)
        elif figure.kind == "money_by_year":
            node = _standard(value, first, y, source, figure, out)
        elif figure.kind == "date":
            node = _reform(value, first, source)
        elif figure.kind == "money":
            node = {"value": value, "source": source}
        else:
            node = {"source": source, **_levels(value)}
        _put(tree, path, node)
        out.origin[path] = where
        if figure.key == "uebmi_inpatient.ratio":
            retired = policy["uebmi_inpatient"].get("ratio_retired")
            if retired is not None:
                where_retired = ("local_policy", "uebmi_inpatient", "ratio_retired")
                _put(tree, figure.paths[1], {"source": source, **_levels(retired)})
                out.origin[figure.paths[1]] = where_retired
            else:
                a = Assumption(
                    "parameters." + figure.paths[1],
                    ", ".join(f"{k} {v:g}" for k, v in _levels(value).items()),
                    "retirees at the active members' ratios: the figures give no ratio_retired "
                    "(local rules often add a few points for retirees)",
                    "退休人员报销比例按在职职工比例（未填写 ratio_retired）",
                    f"{read.source.file.name}, local_policy.uebmi_inpatient.ratio",
                    "scenarios/baseline.yaml",
                )
                out.filled.append(a)
                _put(tree, figure.paths[1], {"source": a.source, **_levels(value)})
                out.origin[figure.paths[1]] = where
    if "ratio_retired" in policy.get("uebmi_inpatient", {}) and "ratio" not in policy.get(
        "uebmi_inpatient", {}
    ):
        path = "benefits.uebmi.inpatient.ratio.retired"
        retired = policy["uebmi_inpatient"]["ratio_retired"]
        _put(tree, path, {"source": source, **_levels(retired)})
        out.origin[path] = ("local_policy", "uebmi_inpatient", "ratio_retired")
    return out


def _put(tree: dict[str, Any], path: str, node: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        tree = tree.setdefault(key, {})
    tree[last] = node


def _levels(value: float | dict[str, float]) -> dict[str, float]:
    """One number for every local level (out of area keeps its own), or the levels given."""
    if isinstance(value, dict):
        return dict(value)
    return dict.fromkeys(LOCAL_LEVELS, value)


def _dated(
    value: float | dict[int, float], first: int, source: str, figure: Figure, out: PolicyTree
) -> dict[str, Any]:
    """A rate: one number for every year, or by year (the first year's holding before it)."""
    if not isinstance(value, dict):
        return {"value": value, "source": source}
    years = sorted(value)
    values = {f"{year}-01-01": value[year] for year in years}
    if years[0] > first:
        values = {f"{first}-01-01" if k == f"{years[0]}-01-01" else k: v for k, v in values.items()}
        out.notes[figure.key] = f"{years[0]}'s {value[years[0]]:g} also before {years[0]}"
        out.filled.append(
            Assumption(
                "parameters." + figure.paths[0],
                f"{value[years[0]]:g} from {first}",
                f"the first year's value given ({years[0]}) holds from {first}, the region's "
                "first year simulated",
                f"{years[0]}年的数值适用于{first}年起",
                "local_policy." + figure.key,
                "scenarios/baseline.yaml",
            )
        )
    return {"values": dict(sorted(values.items())), "source": source}


def _standard(
    value: float | dict[int, float],
    first: int,
    data_year: int,
    source: str,
    figure: Figure,
    out: PolicyTree,
) -> dict[str, Any]:
    """A standard per person: the years given (one number: the data year's); before them,
    from the region's first year, the template's dated values (the national minima) or else
    the first year's given; after them, the template's rule (its national pace)."""
    given = value if isinstance(value, dict) else {data_year: value}
    years = sorted(given)
    template = template_node(figure.paths[0])
    start, until = f"{first}-01-01", f"{years[0]}-01-01"
    steps: dict[str, float] = {}
    said = [] if isinstance(value, dict) else [f"one number: the data year {data_year}'s"]
    if until > start:
        dated = sorted((str(k), v) for k, v in template.get("values", {}).items())
        in_force = [kv for kv in dated if kv[0] <= start]
        later = [kv for kv in dated if start < kv[0] < until]
        if in_force or later:
            steps[start] = (in_force or later)[-1 if in_force else 0][1]
            steps.update(later if in_force else later[1:])
            shown = ", ".join(f"{k[:4]} {v:g}" for k, v in steps.items())
            said.append(f"before {years[0]} the template's ({shown}; template default)")
        else:
            steps[start] = given[years[0]]
            said.append(f"{years[0]}'s also from {first}")
            out.filled.append(
                Assumption(
                    "parameters." + figure.paths[0],
                    f"{given[years[0]]:g} from {first}",
                    (
                        f"the first year's value given ({years[0]})"
                        if isinstance(value, dict)
                        else f"the one number given, taken as the data year {data_year}'s,"
                    )
                    + f" holds from {first}, the region's first year simulated",
                    f"{years[0]}年的数值适用于{first}年起",
                    "local_policy." + figure.key,
                    "scenarios/baseline.yaml",
                )
            )
    steps.update({f"{year}-01-01": given[year] for year in years})
    node: dict[str, Any] = {"values": dict(sorted(steps.items()))}
    if "then" in template:
        node["then"] = template["then"]
        said.append(
            f"after {years[-1]} the template's rule, {_rule_text(template['then'])} (template default)"
        )
    node["source"] = "; ".join([source, *said])
    if said:
        out.notes[figure.key] = "; ".join(said)
    return node


def _rule_text(rule: dict[str, Any]) -> str:
    if "grow" in rule:
        return f"+{rule['grow']:.1%} a year"
    if "index" in rule:
        return f"indexed to {rule['index']}"
    return ", ".join(f"{k} {v}" for k, v in rule.items())


def _reform(value: dt.date | bool, first: int, source: str) -> dict[str, Any]:
    if value is False:
        return {"value": False, "source": source + ": not in force"}
    assert isinstance(value, dt.date)
    values: dict[str, Any] = {}
    if value > dt.date(first, 1, 1):
        values[f"{first}-01-01"] = False
    values[value.isoformat()] = True
    return {"values": values, "source": source}
