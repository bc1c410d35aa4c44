"""The sandbox served over HTTP: a port, a werkzeug server, and a thread to run it on."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gitsync.errors import ConfigError
from gitsync.sandbox.emulator import Emulator


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox(Emulator):
    """A running emulator. `Sandbox(...).start()` serves on a thread; `serve_forever()` blocks."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: Path | None = None,
                 state: Path | None = None, request_log: Path | None = None,
                 latency_ms: float = 0, max_tps: float = 0, transition_seconds: float = 0,
                 speed: float | None = None, region: str = "us-east-1") -> None:
        super().__init__(seed=seed, state=state, request_log=request_log, latency_ms=latency_ms,
                         max_tps=max_tps, transition_seconds=transition_seconds, speed=speed,
                         region=region)
        listening = _listen(host, port)
        try:
            self._server: BaseWSGIServer = make_server(host, port, self.wsgi, threaded=True,
                                                       request_handler=_QuietHandler,
                                                       fd=listening.fileno())
        finally:
            listening.close()  # werkzeug serves on its own duplicate of the socket
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        # A short poll keeps stop() quick: shutdown waits for the serving loop's next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve until interrupted; werkzeug closes the socket on KeyboardInterrupt."""
        self._server.serve_forever()

    def stop(self) -> None:
        """End serving on the thread `start()` began, and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self.close()

    def close(self) -> None:
        """Release the port (idempotent)."""
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    """Bind here rather than in werkzeug, which exits the process when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except OSError as error:
        listening.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return listening
