"""Structured logs: one JSON object per line (structlog over the standard library's logging).

Every line carries what is bound for the work it belongs to: for a request, `request_id`,
`route`, `method`, and once authenticated `account` and `client`; for a task, `task_id`,
`task` and the `request_id` of the request that queued it. Each request ends with one
`request` line (`status`, `duration_ms`). Logs from Django, Celery and libraries go through the
same formatter.

Secrets are never logged: no request or response body or header is, and as a last line of
defence every value under a key that names a secret (`secret`, `password`, `token`,
`authorization`, …) is replaced and webhook secrets (`whsec_…`) and bearer credentials are cut
out of any text, tracebacks included.

`VECTIS_LOG_FORMAT`: `json` (the default in production) or `console` (key=value lines, the
default in development); `LOG_LEVEL` (INFO).
"""

import logging
import re
import time

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"secret|passw|token|authorization|api[_-]?key|cookie|credential|signature", re.I
)
_ALLOWED_KEYS = {"tokens_revoked"}  # counts, not secrets
_SECRET_TEXT = re.compile(
    r"whsec_[A-Za-z0-9+/=_\-]+|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=\-]+|client_secret=[^&\s]+"
)


def _scrub(value):
    if isinstance(value, str):
        return _SECRET_TEXT.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def _is_secret_key(key) -> bool:
    return isinstance(key, str) and key not in _ALLOWED_KEYS and bool(_SECRET_KEY.search(key))


def redact(logger, method_name, event_dict):
    """structlog processor: secret keys and secret-looking text out of every line."""
    for key, value in list(event_dict.items()):
        if _is_secret_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(value)
    return event_dict


_FIRST = ("time", "level", "logger", "event")


def _leading(logger, method_name, event_dict):
    """The time, level, logger and message first: lines read left to right."""
    return {
        **{k: event_dict[k] for k in _FIRST if k in event_dict},
        **{k: v for k, v in event_dict.items() if k not in _FIRST},
    }


def _shared() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.PositionalArgumentsFormatter(),
    ]


def logging_config(fmt: str, level: str) -> dict:
    """The LOGGING dict: every record through structlog's formatter."""
    renderer = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared(),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    redact,
                    _leading,
                    renderer,
                ],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},  # our `request` line says it
            "celery.app.trace": {"level": "WARNING"},  # our `task` line says it
        },
    }


def configure() -> None:
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str):
    return structlog.stdlib.get_logger(name)


# --- requests ---------------------------------------------------------------------------------
_requests = get_logger("vectis.request")


def request_started(request) -> float:
    clear_contextvars()
    bind_contextvars(request_id=request.request_id, method=request.method)
    return time.perf_counter()


def request_authenticated(*, account: str, client: str) -> None:
    bind_contextvars(account=account, client=client)


def request_finished(request, response, started: float, route: str) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    status = response.status_code
    level = logging.ERROR if status >= 500 else logging.INFO
    _requests.log(level, "request", route=route, path=request.path, status=status,
                  duration_ms=duration_ms)  # fmt: skip
    clear_contextvars()


def current_request_id() -> str | None:
    return get_contextvars().get("request_id")


# --- tasks ------------------------------------------------------------------------------------
REQUEST_ID_HEADER = "vectis_request_id"


_task_tokens: dict[str, dict] = {}


def task_started(*, task_id: str, task: str, request_id: str | None) -> None:
    """Bound for the task's lines; what was bound before (the request of an in-process task)
    comes back when it finishes."""
    bound = {"task_id": task_id, "task": task}
    if request_id:
        bound["request_id"] = request_id
    _task_tokens[task_id] = bind_contextvars(**bound)


def task_finished(task_id: str) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        try:
            structlog.contextvars.reset_contextvars(**tokens)
        except ValueError:  # finished in another context than it started: nothing to restore
            structlog.contextvars.unbind_contextvars(*tokens)
