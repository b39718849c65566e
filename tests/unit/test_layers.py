"""Layers only look down (DESIGN §1): a module imports from its own floor or below.

Every import of every module counts, those inside functions too (a deferred import is still
a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "fundsim"
FLOORS = {
    "codes": 0,
    "source": 0,
    "places": 0,  # where fundsim writes and what it may replace: the one output rule
    "parameters": 1,
    "scenario": 1,
    "random": 1,
    "population": 2,
    "claims": 2,
    "benefits": 2,
    "payment": 2,
    "finance": 2,
    "sim": 3,
    "ensemble": 4,
    "calibration": 4,
    "results": 4,
    "evaluation": 4,  # forecast scores, rolling-origin backtests, the empirical band term
    "plotting": 5,
    "reporting": 5,
    "serve": 5,  # the workbench: pages over reporting, results and the batch
    "cli": 6,
}
TOP = 7  # fundsim/__init__.py and __main__.py may import anything


def package_of(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0] if len(parts) > 1 or parts[0] in FLOORS else "__top__"


def imported_packages(path: Path) -> set[str]:
    here = path.relative_to(SRC).with_suffix("").parts
    return imports_in(path.read_text(encoding="utf-8"), here)


def imports_in(source: str, here: tuple[str, ...]) -> set[str]:
    """The fundsim packages a module at ``here`` (its parts under fundsim) imports."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - node.level])
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not target:  # ``from .. import x`` at the top: x names a package
                    target = [node.names[0].name]
            elif node.module and node.module.startswith("fundsim."):
                target = node.module.split(".")[1:]
            else:
                continue
            if target and target[0] in FLOORS:
                names.add(target[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fundsim."):
                    names.add(alias.name.split(".")[1])
    return names


def test_every_package_has_a_floor() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py") if not p.stem.startswith("__")}
    assert packages | modules <= set(FLOORS)


def test_no_module_imports_from_a_floor_above_its_own() -> None:
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        package = package_of(path)
        floor = FLOORS.get(package, TOP)
        for target in imported_packages(path):
            if FLOORS[target] > floor:
                upward.append(
                    f"{path.relative_to(SRC)} ({package}, floor {floor}) imports "
                    f"{target} (floor {FLOORS[target]})"
                )
    assert not upward, "\n".join(upward)


def test_the_check_sees_imports_of_every_form() -> None:
    source = (
        "import numpy\nfrom . import books\nfrom ..codes import ACCOUNTS\n"
        "def f():\n    from ..sim.model import FundModel\n"
        "import fundsim.results.io\nfrom fundsim.plotting import charts\n"
    )
    got = imports_in(source, ("finance", "ledger"))
    assert got == {"finance", "codes", "sim", "results", "plotting"}
    assert imports_in("from .. import __version__\n", ("cli", "main")) == set()
    assert imports_in("from .cli import main\n", ("__main__",)) == {"cli"}
