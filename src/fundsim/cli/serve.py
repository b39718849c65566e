"""``fundsim serve``: the local web workbench over a folder of scenarios."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from .parser import EXIT_OK, workers_option

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
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
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
    public = args.host not in LOCAL
    token = secrets.token_urlsafe(32)  # this launch's key: only the page it opens may act
    app = create_app(
        args.folder, args.workers, public=public, host=args.host, port=args.port, token=token
    )
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
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,  # no proxy in front: a client's own headers say nothing of it
        server_header=False,
        limit_concurrency=64,  # connections at once; more are answered 503
    )
    return EXIT_OK
