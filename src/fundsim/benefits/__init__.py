"""Benefit rules: deductible, ratio, annual caps, second layers, medical assistance."""

from .rules import Claims, Settlement, settle, tiered
from .terms import build_claims, claim_terms

__all__ = ["Claims", "Settlement", "build_claims", "claim_terms", "settle", "tiered"]
