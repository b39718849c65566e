"""What a scenario assumes after its last dated values, in words (zh and en).

A baseline's forecast rests as much on how each value continues after the last year a
document gives (financing raised every year, or held flat) as on the values themselves;
the report states it in a planner's words, from the scenario's own rules
(``then:``), with the range a run draws each rule's growth or step from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..parameters.catalogue import Catalogue, load_catalogue
from ..parameters.timeline import Rule
from .loader import Scenario

SERIES_TEXT = {
    "wage": {"zh": "平均工资", "en": "the average wage"},
    "inpatient_cost": {"zh": "人均住院费用", "en": "inpatient spending per member"},
}


@dataclass(frozen=True)
class Continuation:
    """One parameter that goes on changing after its last dated value."""

    path: str
    name_zh: str
    name_en: str
    unit: str
    since: int  # the year whose value the rule starts from
    start_value: float
    rule: Rule
    end_year: int
    end_value: float
    drawn: tuple[float, float] | None  # the range of a drawn growth or step


def continuations(scenario: Scenario, catalogue: Catalogue | None = None) -> list[Continuation]:
    """Every parameter whose last step continues by a rule to the horizon's end."""
    catalogue = catalogue or load_catalogue()
    tree = scenario.tree
    end = scenario.horizon.end
    found = []
    for path in tree.paths:
        steps = tree.rules(path).steps
        rule = steps[-1].rule
        if rule is None or steps[-1].start > end:
            continue
        entry = catalogue[path]
        uncertain = scenario.uncertainty.get(f"{path}.then")
        drawn = uncertain.distribution.support() if uncertain is not None else None
        found.append(
            Continuation(
                path=path,
                name_zh=entry.description_zh or path,
                name_en=entry.description or path,
                unit=entry.unit,
                since=rule.anchor.year,
                start_value=float(tree.value(path, rule.anchor)),
                rule=rule,
                end_year=end.year,
                end_value=float(tree.value(path, end)),
                drawn=drawn,
            )
        )
    return found


UNIT_ZH = {"yuan": "元", "person": "人", "month": "月", "year": "年", "patient": "人"}


def unit_text(unit: str, lang: str) -> str:
    if lang != "zh":
        return unit
    return "/".join(UNIT_ZH.get(part, part) for part in unit.split("/"))


def held_flat(scenario: Scenario) -> list[tuple[str, int, float]]:
    """Parameters whose extended files continue them by a rule that this scenario stops
    (``then: none``): (path, the year it holds from, the value it holds)."""
    found = []
    for path in scenario.tree.paths:
        last = scenario.tree.rules(path).steps[-1]
        before = scenario.baseline.rules(path).last_rule()
        if last.rule is None and before is not None and last.origin.role == "override":
            found.append((path, last.start.year, float(last.value)))
    return found


def _amount(x: float) -> str:
    """A value as a planner reads it: whole yuan above 100, three figures below."""
    return f"{round(x):,}" if abs(x) >= 100 else f"{x:.3g}"


def _percent(x: float) -> str:
    return f"{100 * x:.3g}%"


PHRASES = {
    "grow": {"zh": "每年增长{x}", "en": "grows {x} a year"},
    "step": {"zh": "每年增加{x}", "en": "rises by {x} a year"},
    "index": {"zh": "随{x}增长", "en": "follows {x}"},
    "drawn": {
        "zh": "（各次模拟在{low}—{high}之间抽样）",
        "en": " (each run draws it between {low} and {high})",
    },
    "line": {
        "zh": "{name}：{since}年为{start}，此后{how}，{year}年为{end}（{unit}）。",
        "en": "The {name}: {start} in {since}, then {how}; {end} in {year} [{unit}].",
    },
    "held": {
        "zh": "{name}：自{year}年起保持{value}不再提高（{unit}）。",
        "en": "The {name}: held at {value} from {year}, no further rise [{unit}].",
    },
    "rest": {
        "zh": "其余参数（起付线、支付比例、最高支付限额等）保持最后一次公布的标准不变。",
        "en": "Every other value (deductibles, ratios, caps) stays at its last published level.",
    },
}


def _name(zh: str, en: str, lang: str) -> str:
    """A parameter's description as the subject of a sentence."""
    return zh if lang == "zh" else en[:1].lower() + en[1:]


def sentence(c: Continuation, lang: str) -> str:
    """One line: what the value is, how it continues, and where it ends."""
    r = c.rule
    fmt = _percent if r.kind == "grow" else _amount
    x = SERIES_TEXT[r.series][lang] if r.kind == "index" else fmt(r.amount)
    how = PHRASES[r.kind][lang].format(x=x)
    if c.drawn is not None:
        how += PHRASES["drawn"][lang].format(low=fmt(c.drawn[0]), high=fmt(c.drawn[1]))
    return PHRASES["line"][lang].format(
        name=_name(c.name_zh, c.name_en, lang),
        since=c.since,
        start=_amount(c.start_value),
        how=how,
        year=c.end_year,
        end=_amount(c.end_value),
        unit=unit_text(c.unit, lang),
    )


def summary(scenario: Scenario, lang: str) -> str:
    """The scenario's continuations, one sentence each, and what holds flat."""
    catalogue = load_catalogue()
    lines = [sentence(c, lang) for c in continuations(scenario, catalogue)]
    for path, year, value in held_flat(scenario):
        entry = catalogue[path]
        lines.append(
            PHRASES["held"][lang].format(
                name=_name(entry.description_zh or path, entry.description or path, lang),
                year=year,
                value=_amount(value),
                unit=unit_text(entry.unit, lang),
            )
        )
    return "\n".join([*lines, PHRASES["rest"][lang]])
