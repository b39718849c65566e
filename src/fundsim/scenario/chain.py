"""Reading a scenario's ``extends`` chain: every file strict, checked against the schema,
its errors located (file, line, dotted path) and worded for a planner."""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..source.diagnostics import Collector, did_you_mean, valid_names_hint
from ..source.document import PathKey, SourceDocument, dotted, read_yaml
from ..source.pathnames import file_problem, name_problem, real_path, shown_path, what_is
from .paths import SCENARIO_SUFFIXES, Roots, display_path, outside_hint, suffix_problem
from .schema import DISTRIBUTIONS, Document


@dataclass
class ChainFile:
    path: Path
    name: str
    source: SourceDocument
    document: Document


# --- reading the extends chain -------------------------------------------------------------


def read_chain(path: Path, roots: Roots, problems: Collector) -> list[ChainFile]:
    """The files of the ``extends`` graph, each once, parents before children (root first).

    ``extends`` names one file or a list; a list is combined depth-first in the order written,
    so ``extends: [drg.yaml, procurement.yaml]`` applies the DRG file's changes, then
    procurement's. All files must share one root (the region baseline).
    """
    order: list[ChainFile] = []
    done: set[Path] = set()
    baselines: list[ChainFile] = []

    def visit(current: Path, display: str, stack: list[tuple[Path, ChainFile | None, int]]) -> None:
        resolved = real_path(current)
        if any(resolved == p for p, _, _ in stack):
            names = [
                display_path(p) for p, _, _ in stack[[p for p, _, _ in stack].index(resolved) :]
            ]
            cycle = " -> ".join([*names, display_path(resolved)])
            _, child, line = stack[-1]
            assert child is not None
            problems.error(
                child.name,
                line,
                "extends",
                f"circular extends: {cycle}",
                "a scenario may not extend itself, directly or through others",
            )
            return
        if resolved in done:
            return
        source = read_yaml(current, problems, display=display)
        if source is None:
            return
        document = _check_schema(source, display, problems)
        if document is None:
            return
        file = ChainFile(current, display, source, document)
        parents = document.extends
        targets = [parents] if isinstance(parents, str) else list(parents or [])
        for index, target_name in enumerate(targets):
            key: PathKey = ("extends",) if isinstance(parents, str) else ("extends", index)
            line = source.line_of(key)
            named = current.parent / target_name
            problem = name_problem(target_name) or name_problem(named.absolute())
            if problem:
                problems.error(display, line, dotted(key), f"{shown_path(target_name)}: {problem}")
                continue
            target = real_path(named)
            if not roots.contain(target):
                problems.error(
                    display,
                    line,
                    dotted(key),
                    f"extends a file outside the scenario's project: {shown_path(target_name)}",
                    outside_hint(roots),
                )
                continue
            wrong = suffix_problem(target, SCENARIO_SUFFIXES, "an extended scenario")
            if wrong:
                problems.error(display, line, dotted(key), wrong)
                continue
            problem = file_problem(named)
            if problem or not target.is_file():
                problems.error(
                    display,
                    line,
                    dotted(key),
                    f"{shown_path(target_name)} {problem}"
                    if problem
                    else f"extends a file that does not exist: {shown_path(target_name)}",
                    "extends names a scenario's YAML file"
                    if problem
                    else f"the path is relative to {shown_path(display_path(current.parent))}; "
                    f"looked for {shown_path(display_path(target))}",
                )
                continue
            visit(target, display_path(target), [*stack, (resolved, file, line)])
        if not targets:
            baselines.append(file)
        done.add(resolved)
        order.append(file)

    problem = name_problem(path)
    if problem:
        problems.error(str(path), 0, "", problem)
        return order
    wrong = suffix_problem(path, SCENARIO_SUFFIXES, "a scenario")
    if wrong:  # judged by its name, so no other kind of file is read and quoted back
        problems.error(display_path(path), 0, "", wrong, "a scenario is a YAML file")
        return order
    kind = what_is(path)  # the reader says what else it is; a link it cannot follow, here
    if kind is not None and kind.startswith(("a broken link", "a symbolic link loop")):
        problems.error(display_path(path), 0, "", f"is {kind}", "name the scenario file itself")
        return order
    visit(path, display_path(path), [])
    if len(baselines) > 1:
        problems.error(
            order[-1].name,
            order[-1].source.line_of(("extends",)),
            "extends",
            "the extended files come from different baselines: "
            + ", ".join(r.name for r in baselines),
            "combine only scenarios of one region baseline",
        )
    return order


def _check_schema(source: SourceDocument, name: str, problems: Collector) -> Document | None:
    if not isinstance(source.data, dict):
        problems.error(
            name, 1, "", f"a scenario must be a mapping of keys, not a {type(source.data).__name__}"
        )
        return None
    try:
        return Document.model_validate(source.data)
    except ValidationError as exc:
        for error in _one_per_uncertainty(exc.errors(include_url=False), source.data):
            _report_schema_error(error, source, name, problems)
        return None


def _is_label(part: Any) -> bool:
    """Whether a part of an error's location is pydantic's name for a validator or a branch
    of a union (``tagged-union[Normal,…]``, ``literal['none']``), not a key of the file."""
    return isinstance(part, str) and bool(_LABEL.fullmatch(part))


_LABEL = re.compile(r"[a-z-]+\[.*\]", re.DOTALL)


def _one_per_uncertainty(errors: list[Any], data: Any) -> list[Any]:
    """The errors of an ``uncertainty:`` entry as a planner needs them. An entry is a
    distribution or ``none``, and pydantic reports a wrong entry against both: the
    distribution's error is kept and the spurious "Input should be 'none'" dropped; an entry
    that is no mapping at all (null, a number, other text) gets one error saying what an
    entry is."""
    entries = data.get("uncertainty") if isinstance(data, dict) else None
    kept: list[Any] = []
    said: set[str] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if not (isinstance(entries, dict) and len(loc) > 2 and loc[0] == "uncertainty"):
            kept.append(error)
            continue
        key = loc[1]
        value = entries.get(key)
        if isinstance(value, dict):
            if error["type"] != "literal_error":
                kept.append(error)
        elif key not in said:
            said.add(key)
            kept.append(
                {
                    "type": "uncertainty_entry",
                    "loc": ("uncertainty", key),
                    "msg": f"{_short(value)} is not a distribution",
                    "input": value,
                }
            )
    return kept


def _report_schema_error(
    error: Any, source: SourceDocument, name: str, problems: Collector
) -> None:
    loc = tuple(p for p in error["loc"] if not _is_label(p))
    data_path = _data_path(source.data, loc)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    where = data_path
    if kind == "uncertainty_entry":
        hint = (
            "an uncertain parameter is drawn from {distribution: …, …, source: …} ("
            + ", ".join(DISTRIBUTIONS)
            + "), or none to drop a draw an extended file makes"
        )
    elif kind == "finite_number":
        message = f"{_short(error.get('input'))} is not a finite number"
    elif kind == "missing":
        where = (*data_path, loc[-1]) if data_path[-1:] != loc[-1:] else data_path
        message = f"missing required key '{loc[-1]}'"
        fields = _fields_at(loc[:-1])
        if loc[:-1] == () and loc[-1] in ("name", "title"):
            hint = "every scenario names itself and carries zh and en titles"
        elif fields:
            hint = valid_names_hint(fields)
    elif kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        fields = _fields_at(loc[:-1])
        hint = did_you_mean(str(loc[-1]), fields) or valid_names_hint(fields)
    elif kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "")
        message = f"unknown distribution '{tag}'"
        hint = valid_names_hint(list(DISTRIBUTIONS))
        where = (*data_path, "distribution")
    elif kind == "union_tag_not_found":
        message = "missing 'distribution'"
        hint = valid_names_hint(list(DISTRIBUTIONS))
    elif kind in {"date_type", "date_parsing", "date_from_datetime_inexact"}:
        message = f"{error.get('input')!r} is not a date"
        hint = "dates are ISO: YYYY-MM-DD"
    elif kind == "string_pattern_mismatch" and loc == ("name",):
        message = f"name {error.get('input')!r} is not a valid identifier"
        hint = "lower-case letters, digits, '-' and '_', e.g. drg-2025"
    elif kind.endswith("_type"):
        message = f"{_short(error.get('input'))} is not valid here: {message}"
    elif message.startswith("Input should be ") and not isinstance(
        error.get("input"), (dict, list)
    ):  # the value quoted: "0 should be greater than 0"
        message = (
            f"{_short(error.get('input'))} should be {message.removeprefix('Input should be ')}"
        )
    dotted_path = dotted(tuple(str(p) for p in where))
    line, column = source.position_of(where)
    problems.error(name, line, dotted_path, message, hint, column=column)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The longest prefix of ``loc`` that exists in the data (skipping union tags)."""
    found: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current)
        ):
            found.append(part)
            current = current[part]
        elif isinstance(part, str) and part in DISTRIBUTIONS:
            continue
        else:
            break
    return tuple(found)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Names of the keys allowed at ``loc`` of a scenario document."""
    current: Any = Document
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part in current.model_fields:
                current = current.model_fields[part].annotation
            elif part in DISTRIBUTIONS:
                current = DISTRIBUTIONS[part]
            else:
                return []
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
        elif get_origin(current) is Union and part in DISTRIBUTIONS:
            current = DISTRIBUTIONS[part]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []
