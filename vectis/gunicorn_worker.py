"""Gunicorn worker whose own error answers (request line or headers too long, malformed
requests) carry the JSON error envelope instead of gunicorn's HTML page.

Gunicorn answers these before the application sees the request, through
`gunicorn.util.write_error`; the worker replaces that function in its own process at start-up.
"""

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    # Imported here: the worker class is loaded before Django is set up, errors come after.
    from vectis.api.middleware import envelope_for_status, request_id_from

    request_id = request_id_from("")
    body = envelope_for_status(status_int)
    body["error"]["request_id"] = request_id
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + payload)


class JsonErrorThreadWorker(ThreadWorker):
    def init_process(self):
        util.write_error = write_json_error
        super().init_process()
