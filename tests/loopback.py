"""A real HTTP server on a free loopback port, for the tests of what the app
fetches or sends (calendar feeds, webhooks)."""

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that stops reading (the app refusing a feed too large) is
        # what some tests are about, not an error of the server's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` answering on a free loopback port until the block ends; gives
    the server's base address (http://127.0.0.1:PORT)."""
    server = _Server(("127.0.0.1", 0), handler)
    # Shutting down waits for the server's next look at its flag: every 0.05 s
    # rather than the default 0.5 s, which every test using a server waited.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
