"""The real binary for the Python end-to-end checks (tests/open311, tests/webhooks): a free
port, and `grassroots serve` on a data directory, waited for until it answers."""

import contextlib
import os
import socket
import subprocess
import time
import urllib.request

BIN = os.environ.get("GRASSROOTS_BIN", os.path.join(os.path.dirname(__file__), "../target/debug/grassroots"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(data):
    """Serves the store in `data` and yields its base URL; stops the server afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [BIN, "--data-dir", data, "--listen", f"127.0.0.1:{port}", "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
