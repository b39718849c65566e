"""The one output rule (issue 28), every writing command against a user's folder and a user's
file: with ``--force`` too, nothing of the user's is replaced, the inputs are never written
over, and the command exits 2 before any work, saying why. fundsim's own outputs are replaced
with ``--force``, and what fundsim writes has the umask's modes (755 folders, 644 files)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fundsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = """extends: baseline.yaml
name: tiny
title: {zh: 南川区基线（2%样本，两年，测试用）, en: "Nanchuan baseline (2% sample, two years, for tests)"}
horizon: {start: 2021-01-01, end: 2022-12-31}
parameters:
  population: {source: test setting, sample: 0.02}
"""
FIGURES = """region: {zh: 测试市, en: Test City}
data_year: 2022
source: "test figures"
insured: {uebmi_active: 300000, uebmi_retired: 110000, urrbmi: 2000000}
balances: {uebmi_pool: 2500000000, uebmi_personal: 1200000000, urrbmi_pool: 1100000000}
history:
  2021:
    uebmi: {income: 2900000000, expenditure: 2400000000}
    urrbmi_pool: {income: 1900000000, expenditure: 1800000000}
  2022:
    uebmi: {income: 3100000000, expenditure: 2600000000}
    urrbmi_pool: {income: 2000000000, expenditure: 1950000000}
"""
CLAIMS = "person,date,scheme,retired,level,total\np1,2021-03-01,urrbmi,0,level2,12000\n"
QUICK = ["--workers", "1", "--quiet"]


@dataclass
class Project:
    top: Path
    batch: Path  # a finished 2-run batch of tiny (fundsim's own)

    @property
    def tiny(self) -> Path:
        return self.top / "scenarios" / "nanchuan" / "tiny.yaml"

    @property
    def claims(self) -> Path:
        return self.top / "claims.csv"

    @property
    def figures(self) -> Path:
        return self.top / "figures.yaml"


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    top = tmp_path_factory.mktemp("rule")
    shutil.copytree(ROOT / "scenarios" / "nanchuan", top / "scenarios" / "nanchuan")
    shutil.copytree(ROOT / "calibration" / "nanchuan", top / "calibration" / "nanchuan")
    (top / "scenarios" / "nanchuan" / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (top / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    (top / "figures.yaml").write_text(FIGURES, encoding="utf-8")
    batch = top / "outputs" / "tiny"
    with contextlib.chdir(top), _umask(0o022):
        tiny = str(top / "scenarios" / "nanchuan" / "tiny.yaml")
        assert main(["run", tiny, "--runs", "2", "--out", str(batch), *QUICK]) == 0
    return Project(top, batch)


def _user_folder(place: Path) -> Path:
    (place / "sub").mkdir(parents=True)
    (place / "notes.txt").write_text("a planner's notes\n", encoding="utf-8")
    (place / "sub" / "data.xlsx").write_bytes(b"PK\x03\x04 a workbook")
    return place


def _user_file(place: Path, text: str = "a planner's own file\n") -> Path:
    place.write_text(text, encoding="utf-8")
    return place


def _snapshot(top: Path) -> dict[str, tuple[bytes | None, int]]:
    found: dict[str, tuple[bytes | None, int]] = {}
    for here, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            path = Path(here) / name
            info = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
            found[str(path.relative_to(top))] = (content, stat.S_IMODE(info.st_mode))
    return found


# (id, the command's words with OUT for the target, the target's kind: folder or file)
REFUSED = [
    ("run-folder", ["run", "{tiny}", "--runs", "2", "--out", "{out}"], "folder"),
    ("run-file", ["run", "{tiny}", "--runs", "2", "--out", "{out}"], "file"),
    ("compare-folder", ["compare", "{tiny}", "{drg}", "--runs", "2", "--out", "{out}"], "folder"),
    ("report-folder", ["report", "{batch}", "--out", "{out}"], "folder"),
    ("report-file", ["report", "{batch}", "--out", "{out}"], "file"),
    ("plot-file", ["plot", "{batch}", "--kind", "fan", "--out", "{out}"], "file.png"),
    ("plot-folder", ["plot", "{batch}", "--kind", "fan", "--out", "{out}"], "folder"),
    ("sensitivity-folder", ["sensitivity", "{tiny}", "--out", "{out}"], "folder"),
    ("sensitivity-file", ["sensitivity", "{tiny}", "--out", "{out}"], "file"),
    ("benefit-file", ["benefit", "{tiny}", "--claims", "{claims}", "--out", "{out}"], "file"),
    ("benefit-folder", ["benefit", "{tiny}", "--claims", "{claims}", "--out", "{out}"], "folder"),
    ("calibrate-file", ["calibrate", "{tiny}", "--out", "{out}"], "file.yaml"),
    (
        "calibrate-report-folder",
        ["calibrate", "{tiny}", "--out", "{fresh}", "--report", "{out}"],
        "folder",
    ),
    ("backtest-folder", ["backtest", "{tiny}", "--until", "2019", "--out", "{out}"], "folder"),
    ("backtest-file", ["backtest", "{tiny}", "--until", "2019", "--out", "{out}"], "file"),
    ("init-folder", ["init", "{out}", "--figures", "{figures}"], "folder"),
    ("init-file", ["init", "{out}", "--figures", "{figures}"], "file"),
]


@pytest.mark.parametrize(("case", "words", "what"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_users_folder_or_file_is_never_replaced_even_with_force(
    project: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    words: list[str],
    what: str,
) -> None:
    suffix = what.partition(".")[2]
    # a calibrated scenario must lie in its scenario's project: the user's file is there
    home = project.tiny.parent if suffix == "yaml" else tmp_path
    place = home / ("mine" + (f".{suffix}" if suffix else ""))
    if what == "folder":
        _user_folder(place)
    else:
        _user_file(place)
    names = {
        "tiny": str(project.tiny),
        "drg": str(project.tiny.with_name("drg.yaml")),
        "batch": str(project.batch),
        "claims": str(project.claims),
        "figures": str(project.figures),
        "fresh": str(project.tiny.with_name("tiny-fresh.yaml")),
        "out": str(place),
    }
    argv = [w.format(**names) for w in words]
    force = [] if argv[0] == "init" else ["--force"]
    quiet = (
        ["--quiet"] if argv[0] in ("run", "compare", "sensitivity", "calibrate", "backtest") else []
    )
    before = _snapshot(tmp_path), _snapshot(project.top)
    with contextlib.chdir(tmp_path):
        code = main([*argv, *force, *quiet])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert (_snapshot(tmp_path), _snapshot(project.top)) == before, f"{case} changed files"
    assert err.strip(), "a refusal says why"
    if place.is_file() and place.is_relative_to(project.top):
        place.unlink()


INPUTS = [
    ("benefit-its-claims", ["benefit", "{tiny}", "--claims", "{claims}", "--out", "{claims}"]),
    ("calibrate-its-scenario", ["calibrate", "{tiny}", "--out", "{tiny}"]),
    ("report-into-its-batch", ["report", "{batch}", "--out", "{batch}"]),
    ("run-over-its-project", ["run", "{tiny}", "--runs", "2", "--out", "{scenarios}"]),
]


@pytest.mark.parametrize(("case", "words"), INPUTS, ids=[c[0] for c in INPUTS])
def test_an_input_is_never_written_over(
    project: Project, capsys: pytest.CaptureFixture[str], case: str, words: list[str]
) -> None:
    names = {
        "tiny": str(project.tiny),
        "claims": str(project.claims),
        "batch": str(project.batch),
        "scenarios": str(project.tiny.parent),
    }
    argv = [w.format(**names) for w in words]
    before = _snapshot(project.top)
    with contextlib.chdir(project.top):
        code = main([*argv, "--force"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert _snapshot(project.top) == before


def _modes(top: Path) -> set[tuple[str, int]]:
    """The (kind, mode) of everything under ``top`` (not ``top``: pytest makes it 700)."""
    found = set()
    for here, dirs, files in os.walk(top):
        for name in dirs:
            found.add(("dir", stat.S_IMODE((Path(here) / name).stat().st_mode)))
        for name in files:
            found.add(("file", stat.S_IMODE((Path(here) / name).stat().st_mode)))
    return found


def test_fundsims_own_outputs_are_replaced_with_force_and_have_the_umasks_modes(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny = str(project.tiny)
    outs = {
        "run": (["run", tiny, "--runs", "2", *QUICK], tmp_path / "batch"),
        "report": (["report", str(project.batch), "--dpi", "50"], tmp_path / "report"),
        "sensitivity": (["sensitivity", tiny, *QUICK], tmp_path / "sens"),
        "benefit": (["benefit", tiny, "--claims", str(project.claims)], tmp_path / "paid.csv"),
        "plot": (["plot", str(project.batch), "--kind", "fan"], tmp_path / "fan.png"),
        "init": (["init", str(tmp_path / "region"), "--figures", str(project.figures)], None),
    }
    with contextlib.chdir(tmp_path), _umask(0o022):
        for name, (argv, out) in outs.items():
            target = ["--out", str(out)] if out is not None else []
            assert main([*argv, *target]) == 0, (name, capsys.readouterr().err)
            if out is None:
                continue
            first = _snapshot(out.parent)
            assert main([*argv, *target]) == 2, name  # not without --force
            assert main([*argv, *target, "--force"]) == 0, (name, capsys.readouterr().err)
            assert out.exists() and _snapshot(out.parent).keys() == first.keys(), name
    capsys.readouterr()
    assert _modes(tmp_path) <= {("dir", 0o755), ("file", 0o644)}, sorted(_modes(tmp_path))
    leftovers = [p for p in tmp_path.rglob(".*") if ".partial" in p.name or ".old-" in p.name]
    assert leftovers == []
