"""What the workbench writes in the planner's folder: a draft the levers make (in its own
``.workbench/drafts``), and a draft saved as a scenario file of the folder.

A save follows the project's output rule (:mod:`fundsim.places`): the name is a ``.yaml``
file in the folder or one of its existing sub-folders (never in ``.workbench`` nor a hidden
folder, never a link), the scenario is checked by the loader of ``fundsim validate`` BEFORE
anything is written (in the workbench's own folder, its ``extends`` made to reach the same
baseline from there), and an existing file is replaced only when fundsim wrote it (its first
line is :data:`~fundsim.places.YAML_MARK`) and ``force`` was asked for: a file of the
planner's is never replaced. Every YAML file the workbench writes starts with that mark.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..places import (
    YAML_MARK,
    OutputError,
    check_output,
    is_fundsim_yaml,
    write_failure,
    write_output,
)
from ..source.diagnostics import ScenarioError
from .levers import NAME, draft, moved
from .messages import Refused, shown
from .stored import WORKBENCH

if TYPE_CHECKING:
    from .app import Workbench

DRAFT_MARK = f"{YAML_MARK} serve: a draft of the workbench (its page's Save button saves it).\n"
MAX_PART = 100  # characters of one part of a saved file's name


def saved_mark(day: dt.date) -> str:
    return f"{YAML_MARK} serve on {day.isoformat()}: a planner's scenario from the workbench.\n"


def problems(error: ScenarioError, folder: Path, renamed: dict[Path, str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The located messages of ``error``, each file named relative to ``folder`` when it lies
    inside it (a file checked in the workbench's place named as it will be: ``renamed``)."""
    import dataclasses

    out = []
    for p in error.diagnostics:
        path = Path(os.path.realpath(p.file))
        if renamed and path in renamed:
            p = dataclasses.replace(p, file=renamed[path])
        elif path.is_relative_to(folder):
            p = dataclasses.replace(p, file=path.relative_to(folder).as_posix())
        out.append({"path": p.path, "line": p.line, "message": p.format(), "severity": p.severity})
    return out


def invalid(error: ScenarioError, folder: Path, renamed: dict[Path, str], extra: dict[str, Any] | None = None) -> Refused:  # fmt: skip
    found = problems(error, folder, renamed)
    first = found[0]["message"] if found else ""
    return Refused(
        f"invalid scenario: {first}",
        f"情景无效：{first}",
        extra={"problems": found, **(extra or {})},
    )


@contextmanager
def checking(bench: Workbench, name: str) -> Iterator[Path]:
    """A fresh folder of the workbench's own to check a scenario file in, removed after."""
    place = bench.folder / WORKBENCH / "check" / secrets.token_hex(6)
    place.mkdir(parents=True)
    try:
        yield place / name
    finally:
        shutil.rmtree(place, ignore_errors=True)


def make_draft(bench: Workbench, baseline: Path, name: str, changes: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The draft a change of levers makes, checked as ``fundsim validate`` checks it, then
    written in ``.workbench/drafts`` (a draft that does not load is not written)."""
    _name(name)
    drafts = bench.drafts
    drafts.mkdir(parents=True, exist_ok=True)
    if drafts.is_symlink() or not Path(os.path.realpath(drafts)).is_relative_to(bench.folder):
        raise Refused(
            f"{drafts} is not the workbench's own folder (a link); move it away",
            f"{drafts} 不是工作台自己的文件夹（是链接）；请移走",
            status=409,
        )
    final = drafts / f"{name}.yaml"
    shown_as = final.relative_to(bench.folder).as_posix()
    try:
        text = DRAFT_MARK + draft(baseline, name, changes, drafts)
    except ValueError as error:  # a change without its day
        raise Refused(str(error), f"调整有误：{error}", field="changes") from None
    with checking(bench, final.name) as check:
        check.write_text(DRAFT_MARK + draft(baseline, name, changes, check.parent), "utf-8")
        try:
            bench.load(check)
        except ScenarioError as error:
            renamed = {Path(os.path.realpath(check)): shown_as}
            raise invalid(error, bench.folder, renamed, {"yaml": text}) from None
    from ..results.io import write_atomically

    write_atomically(final, text.encode("utf-8"))
    return {"yaml": text, "file": shown_as}


def _name(name: str) -> None:
    if not NAME.match(name):
        raise Refused(
            f"name: {shown(name)} cannot name a scenario (1 to 64 letters, digits, '-' and '_', "
            "starting with a letter or digit)",
            f"name：{shown(name)} 不能作为方案名称（1到64个字母、数字、“-”或“_”，以字母或数字开头）",
            field="name",
        )


def target_of(bench: Workbench, name: str) -> Path:
    """The file a draft is saved as: ``name`` (``as``) checked as the module says."""

    def refuse(en: str, zh: str, status: int = 400) -> Refused:
        return Refused(f"as: {shown(name)}: {en}", f"as：{shown(name)}：{zh}", status, "as")

    if any(ord(c) < 32 for c in name) or "\\" in name:
        raise refuse("holds control characters or '\\'", "含控制字符或“\\”")
    if name.startswith("/"):
        raise refuse("is an absolute path; name a file inside the folder", "是绝对路径；请指定文件夹内的文件")  # fmt: skip
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise refuse("holds an empty part, '.' or '..'; name a file inside the folder",
                     "含空段、“.”或“..”；请指定文件夹内的文件")  # fmt: skip
    if parts[0] == WORKBENCH or any(p.startswith(".") for p in parts):
        raise refuse("lies in a hidden folder (.workbench is the workbench's own); save beside "
                     "your scenarios", "位于隐藏文件夹中（.workbench 归工作台自用）；请保存在情景文件旁")  # fmt: skip
    if any(len(p) > MAX_PART for p in parts):
        raise refuse(f"a part is longer than {MAX_PART} characters", f"某段超过 {MAX_PART} 个字符")  # fmt: skip
    if not parts[-1].endswith(".yaml") or parts[-1] == ".yaml":
        raise refuse("a scenario is saved as a .yaml file, e.g. drg.yaml", "情景须保存为 .yaml 文件，如 drg.yaml")  # fmt: skip
    parent = bench.folder.joinpath(*parts[:-1])
    real = Path(os.path.realpath(parent))
    if not parent.is_dir():
        raise refuse(
            f"the folder {'/'.join(parts[:-1])} does not exist; the workbench saves only in the "
            "folder or an existing sub-folder of it",
            f"文件夹 {'/'.join(parts[:-1])} 不存在；工作台只保存到本文件夹或其已有的子文件夹",
            404,
        )
    inner = real.relative_to(bench.folder).parts if real.is_relative_to(bench.folder) else None
    if inner is None or any(p.startswith(".") for p in inner):
        raise refuse("lies outside the folder (through a link) or in a hidden folder",
                     "经链接位于文件夹之外，或位于隐藏文件夹中", 403)  # fmt: skip
    return real / parts[-1]


def save(bench: Workbench, name: str, as_: str | None, force: bool, today: Callable[[], dt.date] = dt.date.today) -> str:  # fmt: skip
    """Save the draft ``name`` as the scenario file ``as_`` (default ``NAME.yaml``) by the
    output rule; the file's name relative to the folder."""
    _name(name)
    source = bench.drafts / f"{name}.yaml"
    if source.is_symlink() or not source.is_file():
        raise Refused(
            f"name: no draft {name!r}: make it first (Make and compare)",
            f"name：没有草稿 {name!r}：请先生成（生成并比较）",
            status=404,
            field="name",
        )
    wanted = as_ if as_ is not None else f"{name}.yaml"
    target = target_of(bench, wanted)
    shown_as = target.relative_to(bench.folder).as_posix()
    if os.path.lexists(target):
        if not is_fundsim_yaml(target):
            raise Refused(
                f"as: {shown_as} exists and was not written by fundsim; the workbench never "
                "replaces a file of yours, even with force: choose another name",
                f"as：{shown_as} 已存在且不是 fundsim 写的文件；工作台绝不替换您的文件（即使选择替换）："
                "请另取文件名",
                status=409,
                field="as",
            )
        if not force:
            raise Refused(
                f"as: {shown_as} exists (a scenario the workbench saved); ask to replace it "
                "(force) or choose another name",
                f"as：{shown_as} 已存在（工作台保存的情景）；如需替换请选择替换（force），或另取文件名",
                status=409,
                field="as",
            )
    # checked before anything is written: the loader of fundsim validate, in our own folder
    try:
        text = saved_mark(today()) + moved(source, target.parent)
    except (yaml.YAMLError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise Refused(
            f"name: the draft {name!r} cannot be read ({shown(str(error), 60)}); make it again",
            f"name：草稿 {name!r} 无法读取（{shown(str(error), 60)}）；请重新生成",
            status=409,
            field="name",
        ) from None
    with checking(bench, target.name) as check:
        check.write_text(saved_mark(today()) + moved(source, check.parent), "utf-8")
        checked = Path(os.path.realpath(check))
        try:
            scenario = bench.load(check)
        except ScenarioError as error:
            raise invalid(error, bench.folder, {checked: shown_as}) from None
    inputs = [source, *[f for f in scenario.files if Path(os.path.realpath(f)) != checked]]
    try:
        output = check_output(target, "file", force, option="as", inputs=inputs,
                              ours=is_fundsim_yaml, what="scenario")  # fmt: skip
        write_output(output, text.encode("utf-8"))
    except OutputError as error:
        raise Refused(str(error), f"不能保存：{error}", status=409, field="as") from None
    except OSError as error:
        why = write_failure(error) or str(error)
        raise Refused(f"as: {shown_as} cannot be written ({why})", f"as：{shown_as} 无法写入（{why}）",
                      status=409, field="as") from None  # fmt: skip
    bench.share_runs(source, target)
    return shown_as
