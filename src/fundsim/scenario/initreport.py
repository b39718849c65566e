"""``REGION_DIR/init.md``: what a new region came from, what was filled, what is still a default.

Three things a planner must see before trusting a region nobody has tuned: the figures taken
as given; every value filled by a rule (the ASSUMPTIONS, each with its data and year); and
every value of the region template the figures did not replace, by its source's class:

- ``template default (Nanchuan's rules: …)``: the source rests on a seed document or its region
  (Nanchuan, Chongqing, Yangjiang, Hengshui, Fengdu), or is an inference made for Nanchuan's
  template with no citation: another place's rule, to replace with the local one;
- ``national default (…)``: the source cites national data or a national rule (NHSA, NBS,
  NHC, the census, a State Council document, the national studies of DOMAIN.md): it may stand
  until a local figure is found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..parameters.catalogue import Catalogue, load_catalogue
from .filling import Assumption
from .localpolicy import DOZEN

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PREFIX = "TEMPLATE DEFAULT (Nanchuan's baseline, fundsim init): replace with the local figure. "
LOCAL_WORDS = ("seed 0", "Nanchuan", "Chongqing", "Yangjiang", "Hengshui", "Fengdu")
NATIONAL_WORDS = (
    "national", "National", "国发", "国办发", "医保发", "NHSA", "NHC", "NBS", "census",
    "shared/data", "DOMAIN.md", "PBoC", "SCIO", "et al", "Health Affairs", "MOHRSS",
)  # fmt: skip
NANCHUAN, NATIONAL = "nanchuan", "national"


def source_class(source: str) -> str:
    """The class of a template value by its source (see the module text); a seed named only
    in a closing check ("Check: seed 000 …") is not what the value rests on."""
    text = source.removeprefix(PREFIX).split("Check:")[0]
    if any(word in text for word in LOCAL_WORDS):
        return NANCHUAN
    if any(word in text for word in NATIONAL_WORDS):
        return NATIONAL
    return NANCHUAN


def class_label(source: str, limit: int = 150) -> str:
    """``template default (Nanchuan's rules: …)`` or ``national default (…)``."""
    text = " ".join(source.removeprefix(PREFIX).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    if source_class(source) == NANCHUAN:
        return f"template default (Nanchuan's rules: {text})"
    return f"national default ({text})"


@dataclass(frozen=True)
class TemplateValue:
    """A value of the template with its own source: one parameter, or a group by level."""

    path: str  # dotted, under parameters (or an uncertain parameter's path)
    source: str
    leaves: tuple[str, ...]  # the catalogue's parameters it holds
    node: Any

    @property
    def kind(self) -> str:
        return source_class(self.source)


@cache
def template_values() -> tuple[tuple[TemplateValue, ...], tuple[TemplateValue, ...]]:
    """Every sourced value of the region template: its parameters and its uncertain inputs."""
    document = yaml.safe_load((TEMPLATES / "defaults.yaml").read_text(encoding="utf-8"))
    catalogue = load_catalogue()
    found: list[TemplateValue] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("source"), str):
            nested: dict[str, Any] = node
            for key in reversed(path):
                nested = {key: nested}
            leaves = tuple(leaves_set(nested, catalogue))  # the levels the template gives
            found.append(TemplateValue(".".join(path), node["source"], leaves, node))
            return
        for key, value in node.items():
            walk(value, (*path, key))

    walk(document["parameters"], ())
    uncertain = tuple(
        TemplateValue(path, spec["source"], (), spec)
        for path, spec in (document.get("uncertainty") or {}).items()
    )
    return tuple(found), uncertain


def leaves_set(tree: dict[str, Any], catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """The catalogue's parameters a ``parameters:`` tree sets, each with its path in the tree
    (one value for a group by level sets every parameter in it)."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for key, value in node.items():
            if key in ("source", "note"):
                continue
            here = (*path, key)
            dotted = ".".join(here)
            if dotted in catalogue.entries:
                found[dotted] = here
            elif dotted in catalogue.groups:
                if isinstance(value, dict) and not {"value", "values"} & set(value):
                    walk(value, here)
                else:
                    for leaf in catalogue.under(dotted):
                        found[leaf] = here

    walk(tree, ())
    return found


def _value_text(node: Any, limit: int = 90) -> str:
    """A template value in a few words: 0.068 from 2016-01-01, …; community 100, level1 200."""
    if isinstance(node, dict):
        if "values" in node:
            text = "; ".join(f"{v} from {k}" for k, v in node["values"].items())
        elif "value" in node:
            text = _value_text(node["value"], limit)
        else:
            text = ", ".join(
                f"{k} {_value_text(v, limit)}" for k, v in node.items() if k != "source"
            )
        if isinstance(node.get("then"), dict):
            text += "; then " + ", ".join(f"{k} {v}" for k, v in node["then"].items())
    elif isinstance(node, list):
        text = (
            "["
            + ", ".join(_value_text(v, limit) if isinstance(v, dict) else str(v) for v in node)
            + "]"
        )
    else:
        text = str(node)
    text = text.replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Defaults:
    """The template values the figures did not replace (wholly or by some levels)."""

    standing: list[tuple[TemplateValue, tuple[str, ...]]]  # with the leaves still default

    def count(self, kind: str) -> int:
        return sum(1 for value, _ in self.standing if value.kind == kind)


def defaults_standing(set_by_region: Iterable[str]) -> Defaults:
    """The template values some parameter of which the region's baseline does not set."""
    given = set(set_by_region)
    values, _ = template_values()
    standing = []
    for value in values:
        left = tuple(leaf for leaf in value.leaves if leaf not in given)
        if left or not value.leaves:
            standing.append((value, left))
    return Defaults(standing)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def report_text(
    *,
    names: tuple[str, str],
    figures_name: str,
    figures_source: str,
    data_year: int,
    horizon: tuple[int, int],
    given: list[str],
    filled: list[Assumption],
    dozen: dict[str, str],
    defaults: Defaults,
    set_by_region: set[str],
) -> str:
    """init.md (see the module text); ``given`` lines of what came from the figures, ``dozen``
    per figure key what the figures said (absent: not given)."""
    zh, en = names
    out = [
        f"# {_cell(zh)} / {_cell(en)}: fundsim init",
        "",
        f"fundsim init 于 {dt.date.today().isoformat()} 由 `{_cell(figures_name)}` 生成 / written by "
        f"fundsim init on {dt.date.today().isoformat()} from `{_cell(figures_name)}` "
        f"(source: {_cell(figures_source)}).",
        "",
        "## 来自填报数据 / From the figures",
        "",
        f"- data year 数据年份: {data_year} (the baseline forecasts {horizon[0]}-{horizon[1]})",
        *(f"- {_cell(line)}" for line in given),
        "",
        "## ASSUMPTIONS / 假设",
        "",
    ]
    if filled:
        out += [
            "Each value below is not in the figures: it was filled by the rule given and is "
            "written with the source `ASSUMPTION: <rule> (<data>, <year>)`. Give the figure in "
            "the figures file to replace it. 下列数值不在填报数据中，按所列规则填补；填报该数据即可替换。",
            "",
            "| value 数值 | filled 填补值 | rule 规则 | data 数据 | written to 写入 |",
            "|---|---:|---|---|---|",
        ]
        out += [
            f"| `{a.what}` | {_cell(a.shown)} | {_cell(a.rule)}；{_cell(a.rule_zh)} | "
            f"{_cell(a.data)} | {_cell(a.written)} |"
            for a in filled
        ]
    else:
        out.append("None: the figures gave every stock by scheme. 无：各项均为填报数据。")
    out += [
        "",
        "## 医保局掌握的主要政策 / The dozen figures every bureau knows",
        "",
        "Give them under `local_policy:` in the figures file (see its example). What is not "
        "given stays the template's: the default standing for it is named. "
        "未填写的项目沿用模板默认值（见右列）。",
        "",
        "| figure 项目 | key | from 来源 |",
        "|---|---|---|",
    ]
    values, _ = template_values()
    by_path = {v.path: v for v in values}
    for figure in DOZEN:
        if figure.key in dozen:
            said = f"figures: {dozen[figure.key]}"
        else:
            parts = []
            for path in figure.paths:
                value = _owner(path, by_path)
                if value is None:
                    continue
                if all(leaf in set_by_region for leaf in value.leaves):
                    parts.append(f"`rules:` of the figures ({path})")
                else:
                    parts.append(f"{_value_text(value.node, 60)}: {class_label(value.source, 110)}")
            said = " / ".join(parts)
        out.append(f"| {figure.en}；{figure.zh} | `local_policy.{figure.key}` | {_cell(said)} |")
    nanchuan, national = defaults.count(NANCHUAN), defaults.count(NATIONAL)
    out += [
        "",
        "## 仍在使用的模板默认值 / Template defaults still in use",
        "",
        f"**{nanchuan}** values are still Nanchuan's template defaults (南川区模板默认值) and "
        f"**{national}** national defaults (全国默认值). Replace them in `scenarios/baseline.yaml` "
        "(or the figures' `local_policy:` and `rules:`) as the region's own are found; "
        "`fundsim explain scenarios/baseline.yaml PATH` shows each value with its source. "
        "A value by level that the figures gave for some levels lists the levels still default.",
        "",
    ]
    for kind, title in (
        (NANCHUAN, "### Nanchuan's rules / 南川区规则（模板默认值）"),
        (NATIONAL, "### National defaults / 全国默认值"),
    ):
        out += [title, "", "| parameter 参数 | value 取值 | source 出处 |", "|---|---|---|"]
        for value, left in defaults.standing:
            if value.kind != kind:
                continue
            name, node = value.path, value.node
            if left and len(left) < len(value.leaves):
                keys = [leaf.rsplit(".", 1)[1] for leaf in left]
                name += " (" + ", ".join(keys) + ")"
                node = {k: v for k, v in node.items() if k in keys}
            out.append(
                f"| `{name}` | {_cell(_value_text(node))} | {_cell(class_label(value.source))} |"
            )
        out.append("")
    _, uncertain = template_values()
    out += [
        "### Uncertain inputs of the template / 模板的不确定性输入",
        "",
        "| parameter 参数 | range 区间 | source 出处 |",
        "|---|---|---|",
    ]
    for value in uncertain:
        spec = value.node
        shown = f"{spec.get('distribution')} {spec.get('low')}-{spec.get('mode', '')}-{spec.get('high')}"
        out.append(f"| `{value.path}` | {_cell(shown)} | {_cell(class_label(value.source))} |")
    out += [
        "",
        "### Region data / 地区数据",
        "",
        "- `calibration/population.csv`: the national insured population's age and sex structure "
        "(end of 2018) scaled to the region's insured by scheme (national default)",
        "- `calibration/mortality.csv`, `admission_rates.csv`, `fertility.csv`: national "
        "(national default); replace with the region's own",
        "",
    ]
    return "\n".join(out)


def _owner(path: str, by_path: dict[str, TemplateValue]) -> TemplateValue | None:
    """The template value holding parameter (or group) ``path``."""
    probe = path
    while probe:
        if probe in by_path:
            return by_path[probe]
        probe = probe.rpartition(".")[0]
    return None
