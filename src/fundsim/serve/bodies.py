"""What a request to the workbench may hold, checked before anything is done with it.

A POST's body is JSON (the guard has already refused another ``Content-Type`` and a body
over its limit): it is parsed without ``NaN``/``Infinity`` and with a bound on nesting, must
be an object, and is read into a pydantic model that refuses unknown fields and values of
the wrong type (strict: ``runs: "100"`` or ``runs: 1e9`` are refused, not coerced). Every
problem becomes a :class:`~fundsim.serve.messages.Refused` naming its field by dotted path
(``changes.0.date``), what is wrong, and what would be valid, in Chinese and English. Query
parameters are checked against each route's list.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from .messages import Refused, shown

MAX_DEPTH = 16  # of a body's nesting: the deepest valid body (a draft's change) is 3
MAX_FILES = 4  # scenarios in one batch (the page sends one or two)
MAX_RUNS = 2000  # runs of each scenario in one batch
MAX_SEED = 2**63 - 1
MAX_PATH = 512  # characters of a file name a request gives
MAX_CHANGES = 200

FileName = Annotated[str, Field(min_length=1, max_length=MAX_PATH)]
NameText = Annotated[str, Field(min_length=1, max_length=64)]


class Body(BaseModel):
    """A request's body: no field but those named, no value coerced from another type."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class Empty(Body):
    """A body with nothing in it (``{}``): opening a stored batch, cancelling a job."""


class BatchBody(Body):
    files: Annotated[list[FileName], Field(min_length=1, max_length=MAX_FILES)]
    runs: Annotated[int, Field(ge=1, le=MAX_RUNS)] = 100
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = None


class Change(Body):
    path: Annotated[str, Field(min_length=1, max_length=200)]
    date: Annotated[str, Field(min_length=1, max_length=10)]
    value: Any

    @field_validator("value")
    @classmethod
    def scalar(cls, value: Any) -> Any:
        if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
            return value
        if isinstance(value, str) and 0 < len(value) <= 200:
            return value
        wrong = {"en": "must be a number, true/false or a short text", "zh": "须为数值、true/false 或简短文字"}  # fmt: skip
        raise PydanticCustomError("fundsim", "{en}", wrong)


class DraftBody(Body):
    baseline: FileName
    name: NameText
    changes: Annotated[list[Change], Field(max_length=MAX_CHANGES)] = []


class SaveBody(Body):
    name: NameText
    as_: FileName | None = Field(None, alias="as")
    force: bool = False


# What each field may be (en, zh), by dotted path (a list's items as *).
VALID = {
    "files": ('a list of 1 to 4 scenario files of the folder, e.g. ["baseline.yaml"]',
              '由1到4个本文件夹中的情景文件组成的列表，如 ["baseline.yaml"]'),
    "files.*": ('a scenario file of the folder, e.g. "baseline.yaml"',
                '本文件夹中的情景文件，如 "baseline.yaml"'),
    "runs": ("a whole number of runs from 1 to 2,000", "1到2000之间的整数（模拟次数）"),
    "seed": ("a whole number from 0 to 2^63-1, or null for the scenario's own seed",
             "0到2^63-1之间的整数，或 null（使用情景自带的种子）"),
    "baseline": ('the baseline scenario file of the folder, e.g. "baseline.yaml"',
                 '本文件夹中的基准情景文件，如 "baseline.yaml"'),
    "name": ("1 to 64 letters, digits, '-' and '_', starting with a letter or digit",
             "1到64个字母、数字、“-”或“_”，以字母或数字开头"),
    "changes": ("a list of at most 200 changes {path, date, value}",
                "最多200项调整 {path, date, value} 组成的列表"),
    "changes.*": ("a change {path, date, value}", "一项调整 {path, date, value}"),
    "changes.*.path": ('a lever\'s parameter path, e.g. "payment.drg.share"',
                       '政策杠杆的参数路径，如 "payment.drg.share"'),
    "changes.*.date": ("the day the change holds from, YYYY-MM-DD", "调整生效日期，格式 YYYY-MM-DD"),
    "changes.*.value": ("a number, true/false or a short text", "数值、true/false 或简短文字"),
    "as": ('a .yaml file name in the folder or one of its existing sub-folders, e.g. '
           '"drg.yaml" or "plans/drg.yaml"',
           '本文件夹（或其已有子文件夹）中的 .yaml 文件名，如 "drg.yaml" 或 "plans/drg.yaml"'),
    "force": ("true or false", "true 或 false"),
}  # fmt: skip
FIELDS: dict[type[BaseModel], dict[str, list[str]]] = {  # each object's fields, by dotted path
    BatchBody: {"": ["files", "runs", "seed"]},
    DraftBody: {"": ["baseline", "name", "changes"], "changes.*": ["path", "date", "value"]},
    SaveBody: {"": ["name", "as", "force"]},
    Empty: {"": []},
}

Model = TypeVar("Model", bound=Body)


class _NotJSON(ValueError):
    """A value JSON does not have (NaN, Infinity, a number beyond a double's range)."""


def _constant(name: str) -> Any:
    raise _NotJSON(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJSON(text)
    return value


def parse(raw: bytes) -> Any:
    """The JSON value of a request's body; :class:`Refused` (400) when it is not JSON (not
    UTF-8, NaN or Infinity, a number too large, nested deeper than :data:`MAX_DEPTH`)."""
    if not raw.strip():
        raise Refused(
            "the request has no body: send a JSON object {…}", "请求没有内容：请发送 JSON 对象 {…}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(
            f"the request's body is not UTF-8 text (byte {error.start})",
            f"请求内容不是 UTF-8 文本（第 {error.start} 字节）",
        ) from None
    deep = False
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except RecursionError:  # the parser's own guard, far past MAX_DEPTH
        value, deep = None, True
    except _NotJSON as error:
        raise Refused(
            f"the request's body holds {error}, which JSON does not have: send a finite number",
            f"请求内容含有 {error}，JSON 中没有此值：请发送有限数值",
        ) from None
    except json.JSONDecodeError as error:
        raise Refused(
            f"the request's body is not JSON: {error.msg} at line {error.lineno} column "
            f"{error.colno}",
            f"请求内容不是 JSON：第 {error.lineno} 行第 {error.colno} 列（{error.msg}）",
        ) from None
    if deep or _deeper(value, MAX_DEPTH):
        raise Refused(
            f"the request's body is nested more than {MAX_DEPTH} levels deep; no request of the "
            "workbench needs that",
            f"请求内容嵌套超过 {MAX_DEPTH} 层；工作台的请求不需要这样的结构",
        )
    return value


def _deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth > limit:
                return True
            stack += [(v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return False


def read(model: type[Model], raw: bytes) -> Model:
    """The body ``raw`` as ``model``; :class:`Refused` (400) naming every field that is
    wrong, what is wrong and what would be valid."""
    value = parse(raw)
    fields = FIELDS[model][""]
    if not isinstance(value, dict):
        listed = ", ".join(fields) or "none"
        raise Refused(
            f"the request's body is {shown(value)}, not a JSON object: send an object with the "
            f"fields {listed}",
            f"请求内容是 {shown(value)}，不是 JSON 对象：请发送含以下字段的对象：{listed}",
        )
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problems = [_problem(model, e) for e in error.errors()]
        first = problems[0]
        raise Refused(
            "; ".join(p["en"] for p in problems),
            "；".join(p["zh"] for p in problems),
            field=first["field"],
            extra={"problems": problems},
        ) from None


def _problem(model: type[Body], error: Any) -> dict[str, str]:
    """One pydantic error as the workbench says it: the field, what is wrong, what is valid."""
    loc = [str(p) for p in error["loc"]]
    field = ".".join(loc) or "body"
    pattern = ".".join("*" if p.isdigit() else p for p in loc)
    kind, ctx = error["type"], error.get("ctx") or {}
    got = "" if kind in ("missing", "extra_forbidden") else shown(error.get("input"))
    if kind == "extra_forbidden":
        parent = pattern.rpartition(".")[0]
        names = ", ".join(FIELDS[model].get(parent, [])) or "none"
        en, zh = (
            f"is not a field of this request (its fields: {names})",
            f"不是本请求的字段（可用字段：{names}）",
        )
    else:
        en, zh = _wrong(kind, ctx, str(error.get("msg", "")))
    valid = VALID.get(pattern)
    text_en = f"{field}: {en}" + (f" (got {got})" if got else "") + (f"; valid: {valid[0]}" if valid else "")  # fmt: skip
    text_zh = f"{field}：{zh}" + (f"（收到 {got}）" if got else "") + (f"；有效取值：{valid[1]}" if valid else "")  # fmt: skip
    return {"field": field, "en": text_en, "zh": text_zh}


def _wrong(kind: str, ctx: dict[str, Any], msg: str) -> tuple[str, str]:
    """What is wrong with a value, by pydantic's error type (en, zh)."""
    if kind == "fundsim":
        return str(ctx["en"]), str(ctx["zh"])
    simple = {
        "missing": ("is missing", "缺少此项"),
        "int_type": ("must be a whole number", "须为整数"),
        "int_parsing": ("must be a whole number", "须为整数"),
        "int_from_float": ("must be a whole number", "须为整数"),
        "string_type": ("must be text (a JSON string)", "须为文本（JSON 字符串）"),
        "string_too_short": ("must not be empty", "不能为空"),
        "list_type": ("must be a list [...]", "须为列表 [...]"),
        "bool_type": ("must be true or false", "须为 true 或 false"),
        "model_type": ("must be an object {…}", "须为对象 {…}"),
        "dict_type": ("must be an object {…}", "须为对象 {…}"),
        "model_attributes_type": ("must be an object {…}", "须为对象 {…}"),
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than_equal": ("must be at least {ge}", "不能小于 {ge}"),
        "less_than_equal": ("must be at most {le}", "不能大于 {le}"),
        "string_too_long": ("must be at most {max_length} characters", "不能超过 {max_length} 个字符"),
        "too_short": ("must hold at least {min_length} item(s)", "至少须有 {min_length} 项"),
        "too_long": ("must hold at most {max_length} items", "最多 {max_length} 项"),
    }  # fmt: skip
    if kind in bounds:
        en, zh = bounds[kind]
        return en.format(**ctx), zh.format(**ctx)
    return msg, f"取值无效（{msg}）"


def query(params: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    """A route's query parameters, each given at most once and none but ``allowed``;
    :class:`Refused` (400) naming the one that is not."""
    out: dict[str, str] = {}
    for name, value in params.multi_items():
        if name not in allowed:
            listed = ", ".join(allowed) or "none"
            raise Refused(
                f"unknown query parameter {shown(name)}; this address takes: {listed}",
                f"未知的查询参数 {shown(name)}；此地址可用参数：{listed}",
                field=name,
            )
        if name in out:
            raise Refused(f"{name} is given twice", f"{name} 重复给出", field=name)
        if len(value) > MAX_PATH:
            raise Refused(
                f"{name}: longer than {MAX_PATH} characters",
                f"{name}：超过 {MAX_PATH} 个字符",
                field=name,
            )
        out[name] = value
    return out
