"""Benefit rules: deductible, ratio, annual caps, second layers, medical assistance; and the
claim calculator (``calculate``, loaded on first use: it needs pandas)."""

from typing import Any

from .rules import Claims, Settlement, settle, tiered
from .terms import build_claims, claim_terms


def __getattr__(name: str) -> Any:
    if name == "calculate":
        from .calculator import calculate

        return calculate
    raise AttributeError(name)


__all__ = ["Claims", "Settlement", "build_claims", "calculate", "claim_terms", "settle", "tiered"]
