"""Characters a text of fundsim's inputs may not hold, and how to name them in a message.

Titles, names, descriptions and sources are one line of printable text: they are drawn on
charts, written to workbooks and documents, and printed on the terminal. A control character
(C0 such as a tab, a line break or ESC; DEL; C1) has no glyph, breaks a workbook (openpyxl
refuses it) and drives a terminal (``ESC [2J`` clears the screen), so it is refused where the
text is read and named by its code point in the message, never printed raw.
"""

from __future__ import annotations

import re
import unicodedata

# C0, DEL and C1
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# fmt: off
_C0 = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF",
       "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM",
       "SUB", "ESC", "FS", "GS", "RS", "US")
# fmt: on
_OTHER = {0x7F: "DEL", 0x85: "NEL", 0x9B: "CSI", 0x9D: "OSC"}


def describe(character: str) -> str:
    """``'\\x1b'`` -> ``U+001B (ESC)``; a character with a Unicode name gets the name."""
    code = ord(character)
    name = _C0[code] if code < 0x20 else _OTHER.get(code) or unicodedata.name(character, "")
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"


def control_character(text: str, allowed: str = "") -> str | None:
    """The first control character of ``text`` not in ``allowed``, or None."""
    for match in CONTROL.finditer(text):
        if match.group() not in allowed:
            return match.group()
    return None


def invisible_character(text: str) -> str | None:
    """The first character of ``text`` that looks like nothing or like a space but is not an
    ASCII space: a control character, a no-break or other Unicode space, a zero-width or a
    direction mark (categories Cc, Cf, Zs, Zl, Zp). A key holding one reads as a key it is not."""
    return next((character for character in text if _invisible(character)), None)


def _invisible(character: str) -> bool:
    return character != " " and unicodedata.category(character) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def visible(text: str) -> str:
    """``text`` with every character :func:`invisible_character` finds written as its escape
    (``\\x1b``, ``\\xa0``, ``\\u200b``): safe to print, and a look-alike key told apart."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if _invisible(ch) else ch for ch in text
    )
