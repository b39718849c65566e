"""Who may use the workbench: its own page, at this machine's address, and nothing else.

A web page the planner visits while ``fundsim serve`` runs can send requests to it (a form, a
``fetch`` in ``no-cors`` mode), and a host name that an attacker re-points at 127.0.0.1 (DNS
rebinding) makes the attacker's page the workbench's own origin. So every request passes, in
this order (an ASGI middleware, before any route):

1. the Host check: the ``Host`` header must be one of the workbench's own addresses
   (127.0.0.1, localhost, [::1], or the ``--host`` given, with the port), for the page too;
2. only GET, HEAD and POST; a CORS preflight (OPTIONS) is refused, and no answer ever carries
   an ``Access-Control-Allow-*`` header, so a foreign page's ``fetch`` with a JSON body or a
   custom header never leaves the browser;
3. the Origin check, on every API request and every POST: an ``Origin`` header, when present,
   must be the server's own origin (``http://`` and the Host), and ``Sec-Fetch-Site``, when
   present, ``same-origin`` or ``none``;
4. the key: every ``/api/`` request carries the per-launch secret (``X-Fundsim-Token``),
   compared in constant time; the page and its two assets load without it (they hold no
   data; the page then says to use the address ``fundsim serve`` printed);
5. a POST's body is JSON (``Content-Type: application/json``, else 415) of at most
   :data:`MAX_BODY` bytes (413 from its ``Content-Length`` before reading, or as soon as more
   arrives: never more is read).

Every answer carries ``X-Content-Type-Options: nosniff``, a Content-Security-Policy of the
page's own origin (and ``blob:`` images: the charts the page fetched with its key) that no
page may frame, and ``Cache-Control: no-store``. Every refusal is logged (``fundsim.serve``).
"""

from __future__ import annotations

import hmac
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers, QueryParams

from .messages import Refused, language, shown

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_HEADER = "x-fundsim-token"
MAX_BODY = 2**20  # bytes of a request's body: a draft of 200 changes is about 20 KB
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
log = logging.getLogger("fundsim.serve")


def bracketed(host: str) -> str:
    """``host`` as it appears in a URL and a Host header (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers the workbench answers: this machine's loopback names and ``host``,
    with ``port``. Served on every interface (0.0.0.0, ::), also this machine's own names and
    addresses (best effort: ``--host ADDRESS`` names the one others should use)."""
    names = {*LOCAL_NAMES, bracketed(host)}
    if host in ("0.0.0.0", "::", ""):
        try:
            own = {socket.gethostname(), socket.getfqdn()}
            for name in list(own):
                own |= {str(a[4][0]) for a in socket.getaddrinfo(name, None)}
            names |= {bracketed(n) for n in own}
        except OSError:
            pass
    hosts = {f"{n}:{port}" for n in names}
    if port == 80:
        hosts |= names
    return frozenset(h.lower() for h in hosts)


class Guard:
    """The ASGI middleware that lets through only the workbench's own page (see the module)."""

    def __init__(self, app: App, token: str, hosts: frozenset[str]) -> None:
        self.app, self.token, self.hosts = app, token.encode(), hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = Headers(scope=scope)
        lang = language(headers, QueryParams(scope.get("query_string", b"")))
        send = _secured(send)
        try:
            self.check(scope, headers)
            if scope["method"] == "POST":
                receive = await _body(headers, receive)
        except Refused as refused:
            log.warning(
                "refused %s %s (Host %s, Origin %s): %s",
                scope["method"],
                scope["path"],
                shown(headers.get("host"), 80),
                shown(headers.get("origin"), 80),
                refused.en,
            )
            await refused.response(lang)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope, headers: Headers) -> None:
        """Refuse a request that is not the workbench's own page's (see the module)."""
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            raise Refused(
                f"this workbench answers only at its own address ({', '.join(sorted(self.hosts))});"
                f" a request for host {shown(host)} is refused (it may come from a page "
                "re-pointing its name at this machine)",
                f"本工作台只响应其自身地址（{', '.join(sorted(self.hosts))}）；主机名为 {shown(host)} "
                "的请求被拒绝（可能来自把域名指向本机的网页）",
            )
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS":
            raise Refused(
                "cross-origin requests are not allowed: only the workbench's own page may call it",
                "不允许跨源请求：只有工作台自己的页面可以调用",
                status=403,
            )
        if method not in ("GET", "HEAD", "POST"):
            raise Refused(
                f"method {shown(method)} is not served; the workbench takes GET and POST",
                f"不支持 {shown(method)} 方法；工作台只接受 GET 和 POST",
                status=405,
            )
        api = path.startswith("/api/")
        if api or method == "POST":
            origin = headers.get("origin")
            site = headers.get("sec-fetch-site")
            if (origin is not None and origin.lower() != f"http://{host}") or site not in (
                None,
                "same-origin",
                "none",
            ):
                raise Refused(
                    f"a request from another page ({shown(origin or site)}) is refused: only the "
                    f"workbench's own page (http://{host}) may use it",
                    f"拒绝来自其他网页（{shown(origin or site)}）的请求：只有工作台自己的页面"
                    f"（http://{host}）可以使用",
                    status=403,
                )
        if api:
            given = headers.get(TOKEN_HEADER)
            if given is None or not hmac.compare_digest(given.encode("latin-1"), self.token):
                raise Refused(
                    "this request lacks the workbench's key (or carries a wrong one): open the "
                    "page at the address `fundsim serve` printed, with its ?token=…",
                    "请求缺少工作台密钥（或密钥不对）：请用 `fundsim serve` 打印的地址（含 ?token=…）"
                    "打开页面",
                    status=403,
                    extra={"reason": "key"},
                )
        if method == "POST":
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                raise Refused(
                    f"a request's body must be JSON (Content-Type: application/json), not "
                    f"{shown(kind or 'none')}",
                    f"请求内容须为 JSON（Content-Type: application/json），而不是 {shown(kind or 'none')}",
                    status=415,
                )


def _too_large(size: int, more: bool = False) -> Refused:
    limit = f"{MAX_BODY // 1024} KiB"
    return Refused(
        f"the request's body is {'more than ' if more else ''}{size:,} bytes; the workbench "
        f"takes at most {limit}",
        f"请求内容{'超过' if more else '为'} {size} 字节；工作台最多接受 {limit}",
        status=413,
    )


async def _body(headers: Headers, receive: Receive) -> Receive:
    """Read a POST's body, refusing it (413) from its ``Content-Length`` before reading, or
    as soon as more than :data:`MAX_BODY` bytes arrived; a ``receive`` that gives it again."""
    length = headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise Refused(
                f"Content-Length {shown(length)} is not a number of bytes",
                f"Content-Length {shown(length)} 不是字节数",
            )
        if int(length) > MAX_BODY:
            raise _too_large(int(length))
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise Refused("the request was broken off", "请求中断")
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large(MAX_BODY, more=True)
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    body = b"".join(chunks)
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _secured(send: Send) -> Send:
    """``send`` with the security headers added to every answer."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            present = {bytes(k).lower() for k, _ in raw}
            raw += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message["headers"] = raw
        await send(message)

    return sending
