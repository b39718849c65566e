"""What the workbench says when it refuses a request: a 4xx JSON answer whose message says
what is wrong, where (the field, the dotted path, the file) and what would be valid, in
Chinese and in English.

Every answer carries both (``zh``, ``en``) and ``error`` in the page's language: the page
sends it in the ``X-Fundsim-Lang`` header (``zh`` or ``en``); a request without it (a
command-line client) gets the Chinese with the English beside.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

LANG_HEADER = "x-fundsim-lang"
LANGS = ("zh", "en")


class Refused(Exception):
    """A request the workbench will not do: a 4xx answer with its message, never a traceback.

    Parameters
    ----------
    en, zh : the message in English and in Chinese
    status : the HTTP status (400 unless said)
    field : where the problem is (a field's dotted path, a query parameter), when known
    extra : more of the answer (e.g. ``problems``)
    """

    def __init__(
        self,
        en: str,
        zh: str,
        status: int = 400,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(en)
        self.en, self.zh, self.status, self.field = en, zh, status, field
        self.extra = extra or {}

    def answer(self, lang: str | None) -> dict[str, Any]:
        """The JSON body of the refusal, its ``error`` in ``lang`` (both when None)."""
        body: dict[str, Any] = {"error": said(lang, self.zh, self.en), "zh": self.zh, "en": self.en}
        if self.field is not None:
            body["field"] = self.field
        return body | self.extra

    def response(self, lang: str | None) -> JSONResponse:
        return JSONResponse(self.answer(lang), self.status, headers={"Cache-Control": "no-store"})


def said(lang: str | None, zh: str, en: str) -> str:
    """A message in ``lang``, or the Chinese with the English beside when none is chosen."""
    if lang == "en":
        return en
    if lang == "zh":
        return zh
    return f"{zh}（{en}）"


def language(headers: Any, query: Any = None) -> str | None:
    """The page's language of a request: its ``X-Fundsim-Lang`` header, else a ``lang`` query
    parameter; None when neither names one of :data:`LANGS`."""
    chosen = headers.get(LANG_HEADER)
    if chosen not in LANGS and query is not None:
        chosen = query.get("lang")
    return chosen if chosen in LANGS else None


def shown(value: Any, limit: int = 40) -> str:
    """A short picture of a value a request sent, for a message (never the whole of a
    large or deeply nested value)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = repr(value[:limit] + ("…" if len(value) > limit else ""))
    elif isinstance(value, list):
        return f"a list of {len(value)}"
    elif isinstance(value, dict):
        return "an object {…}"
    else:
        return type(value).__name__
    return text if len(text) <= limit + 4 else text[: limit + 2] + "…"
