"""Where fundsim writes and what it may replace (issue 12): names, ownership, write errors."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from fundsim.places import (
    Output,
    OutputError,
    Writing,
    check_name,
    check_place,
    check_replaceable,
    foreign_files,
    mark,
    write_failure,
)
from fundsim.source.diagnostics import InputError


@pytest.mark.parametrize("name", ["baseline", "drg-2025", "a_b", "0"])
def test_plain_names_pass(name: str) -> None:
    assert check_name(name, "scenario", "results.nc") == name


@pytest.mark.parametrize(
    "name", ["../x", "/tmp/x", "a/b", "", ".hidden", "Upper", "a" * 65, "a\x00b"]
)
def test_names_that_could_leave_a_folder_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="cannot name a file"):
        check_name(name, "scenario", "results.nc")


def _batch(folder: Path) -> Path:
    (folder / "figures").mkdir(parents=True)
    (folder / "results.nc").write_bytes(b"x")
    (folder / "figures" / "fan_a_b.png").write_bytes(b"\x89PNG fundsim 0.1.0")
    mark(folder, "batch")
    return folder


def test_a_marked_batch_holds_only_what_fundsim_writes(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "out")
    assert foreign_files(batch, "batch") == []
    report = batch / "report" / "zh"
    (report / "figures" / "zh").mkdir(parents=True)
    (report / "report.md").write_text("x")
    mark(report, "report")
    assert foreign_files(batch, "batch") == []
    (batch / "figures" / "mine.png").write_bytes(b"\x89PNG a picture")  # not tagged
    (report / "notes.docx").write_bytes(b"x")
    (batch / "deep" / "er").mkdir(parents=True)
    (batch / "deep" / "er" / "x.csv").write_text("x")
    found = {p.relative_to(batch).as_posix() for p in foreign_files(batch, "batch")}
    assert found == {"figures/mine.png", "report/zh/notes.docx", "deep/er/x.csv"}


def test_a_link_is_never_fundsims(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "out")
    (tmp_path / "elsewhere").mkdir()
    (batch / "summary.csv").symlink_to(tmp_path / "elsewhere")
    assert [p.name for p in foreign_files(batch, "batch")] == ["summary.csv"]


def test_replacing_needs_ownership_and_permission(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "out")
    with pytest.raises(OutputError, match="already exists"):
        check_replaceable(batch, "batch", allowed=False)
    check_replaceable(batch, "batch", allowed=True)
    check_replaceable(tmp_path / "new", "batch", allowed=False)  # absent: fine
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty", "batch", allowed=False)  # empty: nothing to lose
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("x")
    with pytest.raises(OutputError, match="not a batch results folder fundsim wrote"):
        check_replaceable(tmp_path / "mine", "batch", allowed=True)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
        (OSError(errno.EFBIG, "File too large"), "larger than this system allows"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (
            OSError(
                "Can't write data (file write failed: errno = 28, error message = 'No space left on device')"
            ),
            "the disk is full",
        ),
    ],
)
def test_a_refused_write_is_recognised(error: OSError, said: str) -> None:
    assert said in (write_failure(error) or "")


def test_other_os_errors_are_not_write_refusals() -> None:
    assert write_failure(OSError(errno.ENOENT, "No such file or directory")) is None
    assert write_failure(ValueError("x")) is None


# --- output places that no file system could hold, or that are not what was asked (issue 28) ---


@pytest.mark.parametrize(
    ("make", "folder", "said"),
    [
        (None, True, "file name too long: a name in the path is 5,000 bytes"),
        ("deep", True, "path too long"),
        ("nul", True, "a path cannot hold a NUL character"),
        ("dangling", True, "is a broken link (to "),
        ("dangling", False, "is a broken link (to "),
        ("loop", True, "is a symbolic link loop"),
        ("link-to-folder", True, "is a symbolic link (to "),
        ("fifo", True, "is a named pipe (FIFO), not a folder"),
        ("fifo", False, "is a named pipe (FIFO), not a file"),
        ("device", True, "is a device, not a folder"),
        ("file", True, "is a file, not a folder"),
        ("folder", False, "is a folder; name a file"),
    ],
)
def test_a_place_that_cannot_be_written_says_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str | None, folder: bool, said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    target: Path = tmp_path / ("d" * 5000)
    if make == "deep":
        target = Path("/".join(["d" * 250] * 20))
    elif make == "nul":
        target = tmp_path / "a\0b"
    elif make is not None:
        target = tmp_path / "out"
        if make == "dangling":
            target.symlink_to(tmp_path / "nowhere")
        elif make == "loop":
            target.symlink_to("out")
        elif make == "link-to-folder":
            (tmp_path / "elsewhere").mkdir()
            target.symlink_to(tmp_path / "elsewhere")
        elif make == "fifo":
            os.mkfifo(target)
        elif make == "device":
            target = Path("/dev/null")
        elif make == "file":
            target.write_text("mine")
        elif make == "folder":
            target.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError) as caught:
        check_place(target, folder=folder)
    message = str(caught.value)
    assert message.startswith("--out ") and said in message, message
    assert len(message) < 400  # a long path is shortened, never echoed whole
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_a_failed_writing_leaves_no_folder_it_made(
    tmp_path: Path, failure: type[BaseException]
) -> None:
    """Red team D1: an interrupted or failed report left an empty RESULTS/report/. The
    folders made for the outputs go again; one that was there before, or that holds
    anything, stays."""
    (tmp_path / "batch").mkdir()
    report = Output(tmp_path / "batch" / "report" / "zh", "report", False)
    chart = Output(tmp_path / "batch" / "figures" / "more" / "a.png", "file", False)
    with pytest.raises(failure), Writing() as writing:
        (writing.stage(report) / "report.md").write_text("half")
        writing.stage(chart).write_bytes(b"half")
        raise failure()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["batch"]


def test_a_writing_put_in_place_keeps_its_folders(tmp_path: Path) -> None:
    report = Output(tmp_path / "batch" / "report" / "zh", "report", False)
    with Writing() as writing:
        (writing.stage(report) / "report.md").write_text("whole")
    assert (tmp_path / "batch" / "report" / "zh" / "report.md").read_text() == "whole"
