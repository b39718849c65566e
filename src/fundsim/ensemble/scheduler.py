"""Is a Dask scheduler there? Asked in a few seconds, before Dask's client is trusted with it.

Dask's own connect retries a refused connection until its timeout (30 s by default), and
once a connection is accepted it waits for the other side's handshake without any limit:
an address that accepts and says nothing (a firewall, an idle port forward, a web server
waiting for its request) hangs a batch for ever, and one that answers in another protocol
(``HTTP/1.1 400 …``) has its first eight bytes read as a frame length of 3.5 × 10^18
(``MemoryError``). So fundsim asks first, on a plain socket: the host is looked up, the
port connected (a refusal is said at once), and, for ``tcp://``, the scheduler's handshake
awaited: a Dask scheduler speaks first, a frame of a few dozen bytes. Anything else within
:data:`CONNECT_SECONDS` is "not a Dask scheduler".
"""

from __future__ import annotations

import socket
import struct
import time

CONNECT_SECONDS = 10.0  # a scheduler answers in milliseconds; a network may take seconds
HANDSHAKE_BYTES = 2**20  # a scheduler's first frame (its handshake) is far below this
FRAME_HEADER = struct.Struct("Q")  # distributed's TCP comm: the frames' length, 8 bytes


def probe(address: str, seconds: float = CONNECT_SECONDS) -> str | None:
    """Why no Dask scheduler answers at ``address`` (``tcp://HOST:PORT``; another scheme
    is only connected to), within ``seconds``, or None when one does. An address Dask
    cannot parse is left to Dask (None)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except ValueError:
        return None  # Dask's client says what is wrong with it
    if scheme not in ("tcp", "tls"):
        return None
    started = time.monotonic()
    try:
        connection = socket.create_connection((host, port), timeout=seconds)
    except socket.gaierror:
        return f"no host {host!r} is known (check the name)"
    except ConnectionRefusedError:
        return f"nothing listens on port {port} of {host} (connection refused)"
    except TimeoutError:
        return f"{host}:{port} did not answer within {seconds:g} s"
    except OSError as error:
        return f"{host}:{port} cannot be reached ({error.strerror or error})"
    if scheme == "tls":  # the client speaks first there: Dask's handshake tells the rest
        connection.close()
        return None
    with connection:
        connection.settimeout(max(0.1, seconds - (time.monotonic() - started)))
        try:
            head = _read(connection, FRAME_HEADER.size)
        except TimeoutError:
            return (
                f"{host}:{port} accepted the connection but said nothing within {seconds:g} s: "
                "not a Dask scheduler"
            )
        except OSError as error:
            return f"{host}:{port} broke the connection ({error.strerror or error})"
    if len(head) < FRAME_HEADER.size:
        return f"{host}:{port} closed the connection at once: not a Dask scheduler"
    (length,) = FRAME_HEADER.unpack(head)
    if not 0 < length < HANDSHAKE_BYTES:
        text = head.decode("ascii", "replace")
        shown = repr(text) if text.isascii() and text.isprintable() else f"bytes {head.hex(' ')}"
        return f"{host}:{port} answered {shown}…: not a Dask scheduler"
    return None


def _read(connection: socket.socket, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only when the other side closed the connection."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
