"""``fundsim serve``: the local web workbench over a folder of scenarios."""

from __future__ import annotations

import argparse
import errno
import socket
from pathlib import Path
from typing import Any, TextIO

from .parser import EXIT_OK, whole_number, workers_option

LOCAL = ("127.0.0.1", "localhost", "::1")


def add_command(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="a local web workbench: change the levers, see the bands move, download the report",
        description="Serve a page on this machine (http://127.0.0.1:PORT/) over the scenarios of "
        "FOLDER: run a batch with a progress bar, see its fan and depletion charts, early "
        "warnings and key figures, change a policy lever and compare the new scenario with the "
        "baseline under common random numbers, save it as a scenario file, download the "
        "results and report.docx. Everything the page uses is served by fundsim itself (no "
        "internet). Files are read and written only inside FOLDER; batches are kept in "
        "FOLDER/.workbench/. Only the page at the address it prints (with its ?token=…, new at "
        "each launch) can use it: other pages and other host names are refused. "
        "本地网页工作台：调整政策杠杆，查看概率区间变化，下载报告；只有其打印的地址（含密钥）打开的页面可以使用。",
    )
    serve.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="FOLDER")
    serve.add_argument("--port", type=whole_number, default=8765, help="port (default 8765)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1, this machine only); another address "
        "lets others on the network reach the page, which then says so",
    )
    serve.add_argument(
        "--workers",
        type=workers_option,
        default=None,
        help="size of the one pool of worker processes every batch shares (default: one per "
        "core; 1 runs in the server's own process)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import logging
    import secrets

    import uvicorn

    from ..serve.guard import bracketed
    from ..serve.routes import create_app
    from ..source.diagnostics import InputError
    from ..source.pathnames import shown_path, what_is

    if not args.folder.is_dir():
        kind = what_is(args.folder)
        raise InputError(
            f"{shown_path(args.folder)}: "
            + (f"is {kind}, not a folder" if kind else "no such folder")
            + "; give the folder that holds your scenarios (请给出存放情景文件的文件夹)"
        )
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: a port is from 1 to 65535")
    listening = listen(args.host, args.port)  # the address is printed only once it is ours
    public = args.host not in LOCAL
    token = secrets.token_urlsafe(32)  # this launch's key: only the page it opens may act
    try:
        app = create_app(
            args.folder, args.workers, public=public, host=args.host, port=args.port, token=token
        )
    except BaseException:
        listening.close()
        raise
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else bracketed(args.host)
    url = f"http://{shown}:{args.port}/?token={token}"
    print(
        f"fundsim workbench on {url} over {args.folder.resolve()}"
        + (" (on the network: others who have this address can use it)" if public else "")
        + "; open this address: the page works only with its key"
        + f"（工作台：请用此地址打开，页面须带此密钥：{url}）",
        file=out,
        flush=True,
    )
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("fundsim serve: %(message)s"))
    logging.getLogger("fundsim.serve").addHandler(handler)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,  # no proxy in front: a client's own headers say nothing of it
        server_header=False,
        limit_concurrency=64,  # connections at once; more are answered 503
    )
    uvicorn.Server(config).run(sockets=[listening])
    return EXIT_OK


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``, or an :class:`InputError` (exit 2) saying
    why there can be none: a host this machine does not know, an address not its own, a
    port in use or reserved. Bound before anything is printed, so the address and key
    printed are always those of this server (uvicorn would bind after, and exit 3)."""
    from ..source.diagnostics import InputError

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else "not a host name"
        raise InputError(
            f"--host {shown_text(host)}: no such host or address ({reason}); give 127.0.0.1 "
            "(this machine only) or an address of this machine (未知的主机地址)"
        ) from None
    family, kind, protocol, _, address = found[0]
    listening = socket.socket(family, kind, protocol)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        listening.bind(address)
        listening.listen(2048)
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            said = (
                f"--port {port}: port {port} is in use (another program listens on it); "
                "choose another --port (端口已被占用，请换一个端口)"
            )
        elif error.errno == errno.EADDRNOTAVAIL:
            said = (
                f"--host {shown_text(host)}: not an address of this machine; give 127.0.0.1 "
                "(this machine only) or one of its own addresses (不是本机地址)"
            )
        elif error.errno in (errno.EACCES, errno.EPERM):
            said = (
                f"--port {port}: this user may not listen on port {port} (ports below 1024 "
                "need administrator rights); choose a port from 1024 to 65535 (无权使用此端口)"
            )
        else:
            said = f"cannot listen on {shown_text(host)} port {port} ({error.strerror or error})"
        raise InputError(said) from None
    return listening


def shown_text(text: str) -> str:
    from ..source.pathnames import shown_path

    return shown_path(text, 60)
