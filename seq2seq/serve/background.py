"""Running the server inside this process, on a thread (tests, the load benchmark, a notebook).

``with ServerThread(app) as url: ...`` listens on 127.0.0.1 at a free port; leaving the block shuts down
the way SIGTERM does (in-flight requests answered, then the model thread stopped).
"""

from __future__ import annotations

import socket
import threading
import time


class ServerThread:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """What uvicorn does on SIGTERM: stop accepting, finish in-flight requests, run the shutdown."""
        self.server.should_exit = True
        self.thread.join(60)
        self.sock.close()

    def __exit__(self, *exc) -> None:
        self.stop()
