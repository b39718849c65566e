"""Dated policy parameters: the catalogue, timelines, the tree and its snapshots."""

from .catalogue import Catalogue, Entry, load_catalogue
from .kinds import KINDS, Kind
from .timeline import Origin, Step, Timeline
from .tree import Override, ParameterTree, Snapshot

__all__ = [
    "KINDS",
    "Catalogue",
    "Entry",
    "Kind",
    "Origin",
    "Override",
    "ParameterTree",
    "Snapshot",
    "Step",
    "Timeline",
    "load_catalogue",
]
