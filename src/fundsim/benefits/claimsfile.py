"""A claims file on disk: read in chunks into compact arrays, and settled claims written back.

Reading (:func:`read_claims`): the encoding is found first (:func:`detect_encoding`: strict
UTF-8, with or without a byte order mark, else GB18030, which covers GBK and GB2312, the
encodings Excel saves CSV in on Chinese Windows); then the file is read ``rows`` lines at a
time, each chunk checked (:func:`~fundsim.benefits.calculator.check_claims`, errors at their
true lines, :data:`~fundsim.source.diagnostics.SHOWN` of each kind in all, the rest
counted) and kept as
:class:`~fundsim.benefits.settling.ClaimArrays` (person identifiers as integer codes across
chunks). Memory: the arrays (42 bytes a claim), the distinct person identifiers, and one
chunk's text.

Writing (:func:`write_settled`): UTF-8 with a byte order mark (Excel opens it), ``rows``
claims at a time, formula cells neutralised (:func:`neutralised`).
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..codes import LEVELS
from ..source.diagnostics import (
    Collector,
    Diagnostic,
    InputError,
    ScenarioError,
    sorted_diagnostics,
)
from .calculator import (
    COLUMNS,
    NUMBERS,
    check_claims,
    check_header,
    compact,
    whole_numbers,
)
from .settling import CHOICES, OUTPUT, ClaimArrays, Paid, People

ROWS = 200_000  # claims read, and written, at a time: about 100 MB of text
BLOCK = 4 * 2**20  # bytes read at a time to find the encoding
BOM = codecs.BOM_UTF8
# A text cell starting with one of these is a formula (or part of one) to Excel, LibreOffice
# and Google Sheets (OWASP, CSV injection); a quote is escaped too, so that the escape can be
# undone: a cell written with a leading quote had one more.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class Identifiers:
    """Person identifiers by code, kept as one UTF-8 byte string and where each ends: about
    20 bytes an identifier instead of a Python string each (80 bytes, scattered among the
    freed text of the chunks, whose memory they would keep)."""

    blob: bytes
    ends: NDArray[np.int64]

    @classmethod
    def of(cls, names: Iterable[object]) -> Identifiers:
        encoded = [str(name).encode("utf-8") for name in names]
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        return cls(b"".join(encoded), ends)

    def __len__(self) -> int:
        return len(self.ends)

    def cells(self, codes: NDArray[np.int32]) -> NDArray[np.object_]:
        """The identifiers of ``codes`` as written (:func:`neutralised`), each once."""
        unique, inverse = np.unique(codes, return_inverse=True)
        starts = np.concatenate([[0], self.ends])[unique]
        text = [
            neutralised(self.blob[a:b].decode("utf-8"))
            for a, b in zip(starts.tolist(), self.ends[unique].tolist(), strict=True)
        ]
        return np.array(text, dtype=object)[inverse]


@dataclass
class ClaimsRead:
    """A claims file read: its claims, the person identifiers by code, whether each numeric
    column holds whole numbers only (written back as it was read), and its encoding."""

    claims: ClaimArrays
    people: Identifiers
    whole: dict[str, bool]
    encoding: str  # as said to the user: UTF-8, UTF-8 (BOM) or GB18030


def detect_encoding(path: Path, shown: str) -> tuple[str, str]:
    """The encoding of the text file ``path``: strict UTF-8 on the bytes first, else
    GB18030 (a superset of GBK and GB2312), reading 4 MiB at a time.

    Returns
    -------
    tuple of str
        the codec to read it with (``utf-8-sig``: a byte order mark is dropped; or
        ``gb18030``) and its name for the user (UTF-8, UTF-8 (BOM) or GB18030)

    Raises
    ------
    ScenarioError
        a file neither: located (line, column, byte offset) at its first byte that is not
        UTF-8, saying where it is not GB18030 either, and to save it as either
    """
    with open(path, "rb") as handle:
        bom = handle.read(len(BOM)) == BOM
    utf8 = _first_bad(path, "utf-8")
    if utf8 is None:
        return "utf-8-sig", "UTF-8 (BOM)" if bom else "UTF-8"
    gb = _first_bad(path, "gb18030")
    if gb is None:
        return "gb18030", "GB18030"
    offset, line, column, byte = utf8
    diagnostic = Diagnostic(
        "error",
        shown,
        line,
        column,
        "",
        f"the file is neither UTF-8 (byte 0x{byte:02X} at offset {offset} is not UTF-8) nor "
        f"GB18030/GBK (byte 0x{gb[3]:02X} at offset {gb[0]}, line {gb[1]}, is not); "
        "文件编码既不是UTF-8也不是GB18030/GBK",
        "save it as UTF-8 (Excel: CSV UTF-8) or GB18030/GBK (Excel: CSV) and try again；"
        "请另存为UTF-8（Excel：CSV UTF-8）或GBK编码的CSV文件",
    )
    raise ScenarioError([diagnostic])


def _first_bad(path: Path, encoding: str) -> tuple[int, int, int, int] | None:
    """Where ``path`` stops being ``encoding`` (strict): (byte offset, line, column of the
    byte in its line, the byte), or None when the whole file is."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0  # of the block
    lines = 0  # newlines before the block
    line_start = 0  # offset of the line the block starts in
    with open(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:  # its object: the bytes held back, the block
                at = offset - pending + error.start
                before = block[: max(at - offset, 0)]  # bytes held back hold no newline
                newline = before.rfind(b"\n")
                if newline >= 0:
                    line_start = offset + newline + 1
                line = lines + before.count(b"\n") + 1
                return at, line, at - line_start + 1, error.object[error.start]
            if not block:
                return None
            newline = block.rfind(b"\n")
            if newline >= 0:
                line_start = offset + newline + 1
            lines += block.count(b"\n")
            offset += len(block)


def read_claims(
    path: Path,
    shown: str,
    horizon: tuple[dt.date, dt.date] | None = None,
    levels: Sequence[str] = LEVELS,
    rows: int = ROWS,
) -> ClaimsRead:
    """The checked claims of a CSV file, read ``rows`` lines at a time.

    Parameters
    ----------
    path : the claims file, UTF-8 (with or without BOM) or GB18030/GBK
    shown : its name in messages
    horizon : the first and last day a claim may be dated (None: any date)
    levels : the region's places of care (its declared hospital levels and out_of_area)
    rows : lines read and checked at a time (memory: about 1 kB a line while read)

    Returns
    -------
    ClaimsRead
        the claims as compact arrays, the person identifiers, the encoding found

    Raises
    ------
    ScenarioError
        every bad cell at its line and column (:data:`~fundsim.source.diagnostics.SHOWN` of
        a kind, the rest counted), after
        the whole file is read; or a file neither UTF-8 nor GB18030, at its first bad byte
    InputError
        a file that is not a CSV of claims (a line with more fields than the header, no
        claims at all)
    """
    codec, encoding = detect_encoding(path, shown)
    problems = Collector()
    people = People()
    parts: list[ClaimArrays] = []
    whole = {c.name: True for c in COLUMNS if c.kind in NUMBERS}
    try:
        reader = pd.read_csv(
            path,
            dtype=object,  # Python strings: faster to compare and factorise than "str"
            keep_default_na=False,
            skip_blank_lines=False,
            encoding=codec,
            chunksize=rows,
        )
        with reader:
            for raw in reader:
                if raw.index.dtype.kind not in "iu":  # pandas took the first field for an index
                    raise InputError(
                        f"{shown}: the first claim has more fields than the header has columns; "
                        "each line needs one field per column (第一行数据的字段多于表头的列数)"
                    )
                if raw.columns[0].startswith("\ufeff"):  # a GB18030 byte order mark
                    raw = raw.rename(columns={raw.columns[0]: raw.columns[0][1:]})
                if not check_header(list(raw.columns), shown, problems):
                    break
                keep = ~_blank(raw)
                line = raw.index.to_numpy()[keep] + 2  # the header is line 1
                raw = raw[keep].reset_index(drop=True)
                typed = check_claims(raw, shown, problems, line, horizon, levels)
                if problems.has_errors:
                    parts.clear()  # nothing will be settled: keep no more
                    continue
                parts.append(compact(typed, people))
                for name, whole_here in whole_numbers(typed).items():
                    whole[name] &= whole_here
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        detail = " ".join(str(error).split())
        raise InputError(
            f"{shown}: not a CSV file of claims ({detail}); a claims file has one field per "
            "column on each line (不是有效的理赔数据CSV文件：每行的字段数应与表头一致)"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{shown}: an empty file, no claims (文件为空，没有理赔记录)") from None
    if problems.has_errors:
        raise ScenarioError(sorted_diagnostics(problems.items))
    claims = ClaimArrays.joined(parts)
    if len(claims) == 0:
        raise InputError(f"{shown}: no claims (a header and no rows; 只有表头，没有理赔记录)")
    return ClaimsRead(claims, Identifiers.of(people.code), whole, encoding)


def _blank(raw: pd.DataFrame) -> NDArray[np.bool_]:
    """The empty lines of a chunk (read as rows of empty cells): not claims."""
    blank: NDArray[np.bool_] = np.asarray(raw.iloc[:, 0].to_numpy() == "", dtype=bool)
    if blank.any():
        blank[blank] = (raw[blank] == "").all(axis=1).to_numpy()
    return blank


def neutralised(text: str) -> str:
    """``text`` as a spreadsheet shows it as text, never as a formula: a leading quote when
    it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's rule for
    CSV injection), or with a quote (so that one leading quote can always be taken off)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_settled(path: Path, read: ClaimsRead, paid: Paid, rows: int = ROWS) -> None:
    """Write the settled claims to ``path``: UTF-8 with a byte order mark, the columns of
    :data:`~fundsim.benefits.calculator.COLUMNS` (defaults filled) and then
    :data:`~fundsim.benefits.calculator.OUTPUT`, one row per claim in the file's order,
    ``rows`` claims at a time.

    Parameters
    ----------
    path : where to write (a temporary name: the output rule puts it in place)
    read : the claims read (:func:`read_claims`)
    paid : what each layer pays for them [yuan] (:func:`~fundsim.benefits.settling.settle_arrays`)
    rows : claims written at a time

    Text cells are neutralised (:func:`neutralised`): the person column (an identifier
    given by the user, the one free text column) and, as a guard, the choice columns
    (scheme, level, special_group, filing, kind), whose values the checks have already
    limited to fixed names; the date is written YYYY-MM-DD. Numeric columns are written as numbers,
    never prefixed: the money the file gave (total, non_insured, class_b) and the days
    (integers when the whole column was, as read), the flags (retired, tcm, transfer: 0 or
    1) and the amounts computed (:data:`~fundsim.benefits.calculator.OUTPUT`, two
    decimals): a quote would turn a number into text that a spreadsheet cannot add up. The
    persons are grouped by the identifiers as given; only their written form is escaped.
    """
    claims = read.claims
    choices = {
        name: np.array([neutralised(v) for v in values], dtype=object)
        for name, values in CHOICES.items()
    }
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        for start in range(0, len(claims), rows):
            part = slice(start, start + rows)
            columns: dict[str, Any] = {}
            for c in COLUMNS:
                values = getattr(claims, c.name)[part]
                if c.kind == "text":
                    columns[c.name] = read.people.cells(values)
                elif c.kind == "date":
                    columns[c.name] = _dates(values)
                elif c.kind == "choice":
                    columns[c.name] = choices[c.name][values]
                elif c.kind == "flag":
                    columns[c.name] = values
                else:
                    columns[c.name] = values.astype(np.int64 if read.whole[c.name] else float)
            columns.update(paid.columns(claims.scheme[part], part))
            frame = pd.DataFrame(columns, columns=[*(c.name for c in COLUMNS), *OUTPUT])
            frame.to_csv(out, index=False, header=start == 0)


def _dates(days: NDArray[np.int32]) -> NDArray[np.object_]:
    """Days since 1970 as YYYY-MM-DD, each distinct day formatted once."""
    unique, inverse = np.unique(days, return_inverse=True)
    text: NDArray[np.object_] = unique.astype("datetime64[D]").astype(str).astype(object)
    return text[inverse]


def sums(read: ClaimsRead, paid: Paid, rows: int = ROWS) -> dict[str, float]:
    """The claims' totals for the summary [yuan]: the bills and each
    :data:`~fundsim.benefits.calculator.OUTPUT` column as written (rounded), ``rows`` claims
    at a time."""
    claims = read.claims
    totals = dict.fromkeys(("total", *OUTPUT), 0.0)
    for start in range(0, len(claims), rows):
        part = slice(start, start + rows)
        totals["total"] += float(claims.total[part].sum())
        for name, values in paid.columns(claims.scheme[part], part).items():
            totals[name] += float(values.sum())
    return totals
