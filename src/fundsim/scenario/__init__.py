"""Scenarios: strict YAML, the schema, ``extends`` chains, validation with located errors.

The loader is imported lazily: the parameter catalogue reuses this package's strict YAML
reader and diagnostics, and the loader in turn needs the catalogue.
"""

from typing import Any

from ..source.diagnostics import Diagnostic, ScenarioError

__all__ = ["Diagnostic", "Scenario", "ScenarioError", "Uncertain", "load_scenario", "validate_file"]


def __getattr__(name: str) -> Any:
    if name in {"Scenario", "Uncertain", "load_scenario", "validate_file"}:
        from . import loader

        return getattr(loader, name)
    raise AttributeError(name)
