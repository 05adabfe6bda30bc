"""A scriptable HTTP receiver on loopback, recording every request it gets."""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    trickle_seconds: float = 0.0  # pause between single bytes of the whole answer
    # Hold the answer until this is set (or `hang_seconds` pass, as a safety net).
    release: threading.Event | None = None
    # Close the connection after this answer without saying so (keep-alive receivers only):
    # what a receiver does when it times out an idle connection.
    drop_after: bool = False


class Receiver:
    """`replies` are used in order; when they run out, `default` answers."""

    def __init__(
        self,
        *replies: Reply,
        default: Reply | None = None,
        listen: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context=None,
        keep_alive: bool = False,
    ):
        """`keep_alive`: answer HTTP/1.1 and keep connections open (by default HTTP/1.0,
        one request per connection)."""
        self.replies = deque(replies)
        self.default = default or Reply()
        self.requests: list[Received] = []
        self.connections = 0
        self.replied = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    reply = receiver.replies.popleft() if receiver.replies else receiver.default
                if reply.release is not None:
                    reply.release.wait(reply.hang_seconds or 30)
                elif reply.hang_seconds:
                    time.sleep(reply.hang_seconds)
                if reply.trickle_seconds:
                    raw = f"HTTP/1.1 {reply.status} OK\r\nContent-Length: 2\r\n\r\nok".encode()
                    try:
                        for byte in raw:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(reply.trickle_seconds)
                    except OSError:
                        pass  # the client gave up, as it should
                    return
                with receiver._lock:
                    receiver.replied += 1
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.drop_after:
                    self.wfile.flush()
                    self.close_connection = True

            do_GET = do_POST

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                with receiver._lock:
                    receiver.connections += 1
                return True

        self.server = Server((host, port), Handler, bind_and_activate=False)
        self.server.allow_reuse_address = True
        self.server.server_bind()
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = None
        if listen:
            self.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> None:
        self.server.server_activate()
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
