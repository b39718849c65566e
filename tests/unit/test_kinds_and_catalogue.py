from __future__ import annotations

import datetime as dt

import pytest

from fundsim.parameters import KINDS, load_catalogue


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("ratio", 0.7, 0.7),
        ("ratio", 1, 1.0),
        ("rate", -0.06, -0.06),
        ("money", 300000, 300000.0),
        ("count", 20, 20),
        ("month", 5, 5),
        ("monthday", "10-15", "10-15"),
        ("month_list", [6, 12], (6, 12)),
        ("bool", False, False),
        (
            "tiers",
            [{"from": 15000, "ratio": 0.6}, {"from": 65000, "ratio": 0.7}],
            ((15000.0, 0.6), (65000.0, 0.7)),
        ),
    ],
)
def test_valid_values_are_normalised_and_immutable(
    kind: str, value: object, expected: object
) -> None:
    checked, message = KINDS[kind].validate(value)
    assert message is None
    assert checked == expected and type(checked) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value", "fragment"),
    [
        ("ratio", 1.01, "outside [0, 1]"),
        ("ratio", -0.1, "outside [0, 1]"),
        ("ratio", True, "is not a ratio"),
        ("ratio", "0.7", "is not a ratio"),
        ("ratio", float("nan"), "is not a finite number"),
        ("rate", 5, "outside [-1, 1]"),
        ("money", -1, "outside [0, ∞]"),
        ("count", 1.5, "is not a count"),
        ("month", 13, "outside [1, 12]"),
        ("monthday", "13-01", "is not a month and day"),
        ("fraction_positive", 0, "outside [0, 1]"),
        ("tiers", [], "tier table"),
        ("tiers", [{"from": 1000, "ratio": 0.5, "extra": 1}], "tier table"),
    ],
)
def test_invalid_values_say_why(kind: str, value: object, fragment: str) -> None:
    checked, message = KINDS[kind].validate(value)
    assert checked is None
    assert fragment in message


def test_every_catalogue_entry_is_documented() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.entries) > 100
    for entry in catalogue.entries.values():
        assert entry.unit and entry.description and entry.description_zh, entry.path
        if entry.default is not None:
            assert entry.source, entry.path


def test_catalogue_defaults_are_valid_for_their_kind() -> None:
    for entry in load_catalogue().entries.values():
        if entry.default is None:
            continue
        raw = (
            entry.default["values"].values() if isinstance(entry.default, dict) else [entry.default]
        )
        for value in raw:
            assert entry.kind.validate(value)[1] is None, entry.path


def test_retirement_reform_default_follows_the_2024_decision() -> None:
    catalogue = load_catalogue()
    values = {
        dt.date.fromisoformat(k): v
        for k, v in catalogue["population.retirement_age.male"].default["values"].items()
    }
    assert values[dt.date(1990, 1, 1)] == 60.0
    assert max(values.values()) == 63.0  # men 60 -> 63
    female = catalogue["population.retirement_age.female_worker"].default["values"]
    assert max(female.values()) == 55.0  # women workers 50 -> 55
    ages = [values[d] for d in sorted(values)]
    assert ages == sorted(ages)
