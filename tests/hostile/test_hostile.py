"""The hostile-input corpora (issues 12 and 28): every case of ``corpus*.yaml`` through the real command
line, each in its own folder of a scratch project.

For every case: the exit code is the one written; a line of stderr holds the message (at the
file and line given); there is no traceback; nothing changed anywhere in or beside the
project except what the case may change (so no output left the chosen folder and no file of
the user's was touched); a store that was damaged resumes to the reference batch bit for bit.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import resource
import shutil
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from fundsim.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# corpus.yaml (issue 12) and the corpora added since, one file each (corpus-*.yaml)
CASES = [
    case
    for file in sorted(HERE.glob("corpus*.yaml"))
    for case in yaml.safe_load(file.read_text(encoding="utf-8")) or []
]
TINY = """extends: baseline.yaml
name: tiny
title: {zh: 南川区基线（2%样本，两年，测试用）, en: "Nanchuan baseline (2% sample, two years, for tests)"}
horizon: {start: 2021-01-01, end: 2022-12-31}
parameters:
  population: {source: test setting, sample: 0.02}
"""
RUNS, SEED = 3, 7

pytestmark = pytest.mark.slow


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 60
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids)
    kinds = {i.split("-")[0] for i in ids}
    assert {"yaml", "csv", "cli", "results", "store", "disk"} <= kinds


@dataclass
class World:
    """A scratch project with a tiny scenario, a folder outside it, and reference results."""

    top: Path  # holds everything below; nothing else here may change
    project: Path
    outside: Path
    reference: Path  # a finished batch of tiny: RUNS runs, seed SEED
    store: Path  # an unfinished batch of the same, every run done, as DIR.partial

    @property
    def tiny(self) -> Path:
        return self.project / "scenarios" / "nanchuan" / "tiny.yaml"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from fundsim.ensemble.backends import Serial
    from fundsim.ensemble.batch import Batch, execute, prepare
    from fundsim.scenario.loader import load_scenario

    top = tmp_path_factory.mktemp("hostile")
    project = top / "project"
    shutil.copytree(ROOT / "scenarios" / "nanchuan", project / "scenarios" / "nanchuan")
    shutil.copytree(ROOT / "calibration" / "nanchuan", project / "calibration" / "nanchuan")
    tiny = project / "scenarios" / "nanchuan" / "tiny.yaml"
    tiny.write_text(TINY, encoding="utf-8")
    outside = top / "outside"
    outside.mkdir()
    (outside / "base.yaml").write_text(
        f"extends: {tiny}\nname: base\ntitle: {{zh: 外部, en: outside}}\n", encoding="utf-8"
    )
    reference = top / "reference"
    with contextlib.chdir(top):
        options = ["--runs", str(RUNS), "--seed", str(SEED), "--workers", "1", "--quiet"]
        code = main(["run", str(tiny), *options, "--out", str(reference)])
    assert code == 0
    scenarios = [load_scenario(tiny)]
    store_out = top / "store" / "out"
    batch = Batch(scenarios, RUNS, SEED, store_out, [])
    store, lock = prepare(batch, force=False, resume=False)
    execute(batch, store, Serial(scenarios))
    lock.release()
    return World(top, project, outside, reference, batch.staging)


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)


LONG = "d" * 5000  # $long: a name no file system holds (a name is at most 255 bytes)
DEEP = "/".join(["d" * 250] * 20)  # $deep: names that fit, a path that does not (5,019 bytes)


def _fill(text: str, world: World, case_dir: Path) -> str:
    return string.Template(text).safe_substitute(
        tiny=_relative(world.tiny, case_dir),
        calibration=_relative(world.project / "calibration" / "nanchuan", case_dir),
        outside=str(world.outside),
        batch="batch",
        long=LONG,
        deep=DEEP,
    )


# --- generators of files too big or too binary to write in the corpus ----------------------


def _generate(kind: str, argument: Any, world: World) -> bytes:
    if kind == "nested":  # "OPEN|CLOSE|DEPTH": text nested DEPTH deep
        opening, closing, depth = str(argument).split("|")
        return f"a: {opening * int(depth)}1{closing * int(depth)}\n".encode()
    if kind == "padding":  # a comment file of this many bytes
        line = b"# padding padding padding padding padding padding padding padding\n"
        return line * (int(argument) // len(line) + 1)
    if kind == "garbage":
        return np.random.default_rng(1).integers(128, 256, int(argument), dtype=np.uint8).tobytes()
    if kind == "crowd":  # argument cells of 5 million persons
        rows = [f"{30 + i},male,urrbmi,5000000" for i in range(int(argument))]
        return ("# source: test\nage,sex,scheme,persons\n" + "\n".join(rows) + "\n").encode()
    if kind == "mortality":  # "AGE QX": the project's table with one age's qx_male replaced
        age, qx = str(argument).split(" ")
        lines = ["# source: test", "age,qx_male,qx_female"]
        for row in (
            (world.project / "calibration" / "nanchuan" / "mortality.csv")
            .read_text(encoding="utf-8")
            .splitlines()
        ):
            if row and row[0].isdigit():
                a, m, f = row.split(",")
                lines.append(f"{a},{qx if a == age else m},{f}")
        return ("\n".join(lines) + "\n").encode()
    if kind == "admissions":  # "RATE [FACTOR]": the project's table, its first row changed
        rate, _, factor = str(argument).partition(" ")
        source = world.project / "calibration" / "nanchuan" / "admission_rates.csv"
        lines, replaced = [], False
        for row in source.read_text(encoding="utf-8").splitlines():
            if row and row[0].isdigit() and not replaced:
                cells = row.split(",")
                cells[3] = rate
                cells[4] = factor or cells[4]
                row, replaced = ",".join(cells), True
            lines.append(row)
        return ("\n".join(lines) + "\n").encode()
    if kind == "repeat":  # {head: TEXT, row: TEXT, count: N}: a head and a row N times
        head, row = str(argument["head"]).encode(), str(argument["row"]).encode()
        return head + row * int(argument["count"])
    if kind == "long_title":
        tiny = _relative(world.tiny, world.project / "cases" / "x")
        return (
            f"extends: {tiny}\nname: case\ntitle: {{zh: 测试, en: {'a' * int(argument)}}}\n"
        ).encode()
    raise ValueError(f"no generator {kind}")


# --- preparations --------------------------------------------------------------------------


def _copy_batch(world: World, case_dir: Path) -> Path:
    target = case_dir / "batch"
    shutil.copytree(world.reference, target)
    return target


def _rewrite_results(world: World, case_dir: Path, change: Any) -> None:
    target = _copy_batch(world, case_dir)
    with xr.open_dataset(target / "results.nc", engine="h5netcdf") as ds:
        ds = change(ds.load())
    (target / "results.nc").unlink()
    numbers = {n: {"zlib": True} for n in ds.data_vars if ds[n].dtype.kind == "f"}
    ds.to_netcdf(target / "results.nc", engine="h5netcdf", encoding=numbers)


def _many_runs(ds: xr.Dataset) -> xr.Dataset:
    """The contract's variables of one year and month, one run more than a batch may hold."""
    from fundsim.ensemble.batch import MAX_RUNS
    from fundsim.results.schema import CONTRACT

    small = ds[list(CONTRACT)].isel(year=[0], month=[0], run=[0])
    many = small.isel(run=np.zeros(MAX_RUNS + 1, dtype=int))
    return many.assign_coords(run=np.arange(MAX_RUNS + 1))


def _each(names: tuple[str, ...], value: float) -> Any:
    return lambda ds: ds.assign({n: ds[n].copy(data=np.full(ds[n].shape, value)) for n in names})


MONEY = ("income", "expenditure", "balance", "cash_balance", "monthly_income", "by_flow")


def _no_spending(ds: xr.Dataset) -> xr.Dataset:
    ds = ds.copy(deep=True)
    ds["expenditure"].loc[{"fund": "critical_illness"}] = 0.0
    ds["reserve_months"].loc[{"fund": "critical_illness"}] = np.nan
    return ds


# results_change NAME: the reference's results changed into what fundsim could not have written
# (issue 28); each a function of the Dataset
RESULTS_CHANGES: dict[str, Any] = {
    "fund-repeated": lambda ds: ds.assign_coords(fund=[ds.fund.values[2], *ds.fund.values[1:]]),
    "scenario-repeated": lambda ds: xr.concat([ds, ds], dim="scenario"),
    "year-text": lambda ds: ds.assign_coords(year=ds.year.values.astype(str)),
    "years-outside": lambda ds: ds.assign_coords(year=[-5, 99999]),
    "years-reversed": lambda ds: ds.assign_coords(year=ds.year.values[::-1]),
    "month-none": lambda ds: ds.isel(month=slice(0, 0)),
    "run-repeated": lambda ds: ds.assign_coords(run=np.zeros(ds.sizes["run"], dtype=int)),
    "run-negative": lambda ds: ds.assign_coords(run=-1 - np.arange(ds.sizes["run"])),
    "money-infinite": _each(MONEY, np.inf),
    "money-nan": _each(MONEY, np.nan),
    "money-huge": _each(MONEY, -1e308),
    "depletion-negative": _each(("depletion_year",), -5.0),
    "warning-99": _each(("warning_level",), 99.0),
    "income-int8": lambda ds: ds.assign(income=ds["income"].astype("int8")),
    "weight-text": lambda ds: ds.assign_attrs(weight="abc"),
    "weight-negative": lambda ds: ds.assign_attrs(weight=-1.0),
    "events-garbage": lambda ds: ds.assign_coords(scenario_events=("scenario", ["not json"])),
    "campaign-garbage": lambda ds: ds.assign_coords(scenario_campaign=("scenario", ["13-45/99"])),
    "out-of-area-garbage": lambda ds: ds.assign_coords(
        scenario_out_of_area=("scenario", ["nan/-1"])
    ),
    "title-escape": lambda ds: ds.assign_coords(
        scenario_title_zh=("scenario", ["\x1b]0;pwned\x07\x1b[2J测试"])
    ),
    "title-tex": lambda ds: ds.assign_coords(
        scenario_title_zh=("scenario", ["$\\frac{$"]), scenario_title_en=("scenario", ["$x^{$"])
    ),
    "no-spending": _no_spending,
    "many-runs": _many_runs,
}


REGION_CASE = """extends: $tiny
name: case
title: {zh: 测试, en: test}
region:
  name: {zh: 测试, en: test}
  data:
    population: $population
    mortality: $mortality
    admission_rates: $admission_rates
    fertility: $calibration/fertility.csv
"""


def _setup(
    name: str, world: World, case_dir: Path, case: dict[str, Any]
) -> subprocess.Popen[bytes] | None:
    kind, _, argument = name.partition(" ")
    if kind == "batch":
        _copy_batch(world, case_dir)
    elif kind == "batch_with_notes":
        (_copy_batch(world, case_dir) / "notes.txt").write_text("mine\n", encoding="utf-8")
    elif kind == "batch_and_report":
        _copy_batch(world, case_dir)
        report = case_dir / "old-report"
        (report / "figures" / "zh").mkdir(parents=True)
        (report / ".fundsim").write_text('{"kind": "report"}\n', encoding="utf-8")
        (report / "report.md").write_text("# report\n", encoding="utf-8")
        (report / "figures" / "zh" / "fan.png").write_bytes(b"\x89PNG fundsim 0.1.0")
    elif kind == "batch_as_yaml":
        shutil.copy(world.reference / "results.nc", case_dir / "results.yaml")
    elif kind == "fifo":
        os.mkfifo(case_dir / argument)
    elif kind == "link_outside":
        (case_dir / "link.yaml").symlink_to(world.outside / "base.yaml")
    elif kind == "link":  # "NAME TARGET": a symbolic link; a TARGET ending in / is made a folder
        name, target = argument.split(" ")
        if target.endswith("/"):
            (case_dir / target).mkdir(parents=True)
        (case_dir / name).symlink_to(target.rstrip("/"))
    elif kind == "folder":  # "NAME": an empty folder (e.g. one named like a file)
        (case_dir / argument).mkdir(parents=True)
    elif kind == "region_case":
        local = set(case.get("files", {})) | set(case.get("generate", {}))
        calibration = _relative(world.project / "calibration" / "nanchuan", case_dir)
        text = string.Template(REGION_CASE).safe_substitute(
            {
                k: f"{k}.csv" if f"{k}.csv" in local else f"{calibration}/{k}.csv"
                for k in ("population", "mortality", "admission_rates")
            }
        )
        if argument:
            text += f"parameters:\n  population: {{source: test, sample: {argument}}}\n"
        (case_dir / "scenario.yaml").write_text(_fill(text, world, case_dir), encoding="utf-8")
    elif kind == "results_truncated":
        results = _copy_batch(world, case_dir) / "results.nc"
        data = results.read_bytes()
        results.write_bytes(data[: len(data) // 2])
    elif kind == "results_foreign":
        target = case_dir / "batch"
        target.mkdir()
        xr.Dataset({"x": ("a", [1.0, 2.0])}).to_netcdf(target / "results.nc", engine="h5netcdf")
    elif kind == "results_wrong_dims":
        _rewrite_results(
            world, case_dir, lambda ds: ds.assign(balance=ds["balance"].isel(fund=0, drop=True))
        )
    elif kind == "results_drop":
        _rewrite_results(world, case_dir, lambda ds: ds.drop_vars([argument]))
    elif kind == "results_text":
        _rewrite_results(
            world, case_dir, lambda ds: ds.assign({argument: ds[argument].astype(str)})
        )
    elif kind == "results_no_runs":
        _rewrite_results(world, case_dir, lambda ds: ds.isel(run=slice(0, 0)))
    elif kind == "results_named":
        _rewrite_results(world, case_dir, lambda ds: ds.assign_coords(scenario=[argument]))
    elif kind == "results_fund":
        funds = list(
            xr.open_dataset(world.reference / "results.nc", engine="h5netcdf")["fund"].values
        )
        funds[0] = argument
        _rewrite_results(world, case_dir, lambda ds: ds.assign_coords(fund=funds))
    elif kind == "results_change":
        _rewrite_results(world, case_dir, RESULTS_CHANGES[argument])
    elif kind == "results_hdf5":  # an HDF5 file that is not netCDF (no dimension scales)
        import h5py

        (case_dir / "batch").mkdir()
        with h5py.File(case_dir / "batch" / "results.nc", "w") as handle:
            handle["income"] = np.zeros((2, 3))
    elif kind == "manifest":  # a batch whose manifest.json is this text
        (_copy_batch(world, case_dir) / "manifest.json").write_text(argument, encoding="utf-8")
    elif kind == "store":
        return _damage_store(argument, world, case_dir)
    elif kind == "fsize":
        pass  # applied to the process in _run_subprocess
    else:
        raise ValueError(f"no setup {name}")
    return None


def _damage_store(argument: str, world: World, case_dir: Path) -> subprocess.Popen[bytes] | None:
    how, _, name = argument.partition(" ")
    staging = case_dir / "out.partial"
    shutil.copytree(world.store, staging)
    runs = staging / "store" / "runs"
    if how == "copy":
        pass
    elif how == "truncate":
        data = (runs / name).read_bytes()
        (runs / name).write_bytes(data[: len(data) // 2])
    elif how == "empty":
        (runs / name).write_bytes(b"")
    elif how == "stray":
        (runs / name).write_text("mine\n", encoding="utf-8")
    elif how == "foreign":
        (runs / name).unlink()
        with open(runs / name, "wb") as handle:
            np.save(handle, np.arange(10.0))
    elif how == "template":
        (staging / "store" / name).write_bytes(b"garbage" * 100)
    elif how == "leftover":
        (runs / name).write_bytes(b"half a run")
    elif how == "plan":
        (staging / "plan.json").write_text("{not json", encoding="utf-8")
    elif how == "lock":  # another process holds the batch's lock until it is killed
        holder = (
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(staging / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(300)\n"
        )
        process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline() == b"held\n"
        return process
    else:
        raise ValueError(f"no store damage {how}")
    return None


# --- the snapshot: nothing changes but what a case may change ------------------------------


def _snapshot(top: Path) -> dict[str, tuple[int, int, bool]]:
    seen: dict[str, tuple[int, int, bool]] = {}
    for folder, dirs, files in os.walk(top):
        for name in [*files, *dirs]:
            path = Path(folder) / name
            info = path.lstat()
            seen[str(path.relative_to(top))] = (info.st_size, info.st_mtime_ns, path.is_dir())
    return seen


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    # a folder whose entries changed changes its mtime: count files, not their folders
    return {p for p in changed if not (after.get(p) or before.get(p))[2] or p not in before}


# --- running a case --------------------------------------------------------------------------


def _run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _run_subprocess(
    argv: list[str], case_dir: Path, case: dict[str, Any], env: dict[str, str]
) -> tuple[int, str]:
    limit = None
    if str(case.get("setup", "")).startswith("fsize"):
        limit = int(case["setup"].split(" ")[1])

    def restrict() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "fundsim", *argv],
        cwd=case_dir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
        preexec_fn=restrict,
    )
    return result.returncode, result.stdout + result.stderr


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _data(path: Path) -> xr.Dataset:
    with xr.open_dataset(path / "results.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    ds.attrs = {}
    return ds


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_input(
    case: dict[str, Any],
    world: World,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_dir = world.project / "cases" / case["id"]
    case_dir.mkdir(parents=True)
    for name, text in case.get("files", {}).items():
        (case_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (case_dir / name).write_text(_fill(text, world, case_dir), encoding="utf-8")
    for name, (kind, argument) in case.get("generate", {}).items():
        (case_dir / name).write_bytes(_generate(kind, argument, world))
    holder = _setup(case["setup"], world, case_dir, case) if case.get("setup") else None
    argv = [_fill(str(a), world, case_dir) for a in case["argv"]]
    env = {k: _fill(str(v), world, case_dir) for k, v in case.get("env", {}).items()}
    before = _snapshot(world.top)
    started = time.perf_counter()
    try:
        if case.get("subprocess"):
            code, output = _run_subprocess(argv, case_dir, case, env)
        else:
            monkeypatch.chdir(case_dir)
            with _environment(env):
                code, output = _run_in_process(argv, capsys)
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    elapsed = time.perf_counter() - started
    after = _snapshot(world.top)

    assert code == case["exit"], output
    assert "Traceback" not in output and "internal error" not in output, output
    if case.get("message"):
        lines = [line for line in output.splitlines() if case["message"] in line]
        assert lines, f"no line says {case['message']!r}:\n{output}"
        if case.get("at"):
            assert any(line.startswith(case["at"]) for line in lines), (
                f"no line at {case['at']!r}:\n{output}"
            )
    for text in case.get("absent", []):
        assert _fill(text, world, case_dir) not in output, output[:2000]
    if case.get("seconds"):
        assert elapsed < case["seconds"] * 5, elapsed  # stated bound, with room for a busy CI
    prefix = str(case_dir.relative_to(world.top)) + os.sep
    allowed = [prefix + pattern for pattern in case.get("changes", [])]
    allowed += [pattern.removesuffix("/**") for pattern in allowed]  # the folder itself
    unexpected = sorted(
        p
        for p in _changed(before, after)
        if not any(fnmatch.fnmatch(p, pattern) for pattern in allowed)
    )
    assert not unexpected, f"changed: {unexpected[:10]}"
    if case.get("resume_to_reference"):
        assert not (case_dir / "out").exists()
        assert list((case_dir / "out.partial" / "store" / "runs").glob("*.npy"))  # runs kept
        monkeypatch.chdir(case_dir)
        assert _run_in_process([*argv, "--resume"], capsys)[0] == 0
    if case.get("same_as_reference") or case.get("resume_to_reference"):
        xr.testing.assert_identical(_data(case_dir / "out"), _data(world.reference))
        assert not (case_dir / "out.partial").exists()
