"""JSON over urllib: one request, its answer, and Switchyard's error envelope turned into exceptions."""

from __future__ import annotations

import email.utils
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Mapping, Optional

from .errors import SwitchyardError

USER_AGENT = "switchyard-python/0.1"


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP-date; None when absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _error_from(status: int, body: bytes, retry_after: Optional[float]) -> SwitchyardError:
    """The envelope ``{"error": {code, message, details}}``, or the raw text when there is none."""
    text = body.decode("utf-8", "replace")
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return SwitchyardError(
            status,
            str(error.get("code") or "http_error"),
            str(error.get("message") or f"HTTP {status}"),
            error.get("details"),
            retry_after,
        )
    return SwitchyardError(status, "http_error", text.strip()[:500] or f"HTTP {status}", None, retry_after)


Opener = Callable[..., Any]


def request_json(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: Any = None,
    timeout: float = 30.0,
    opener: Optional[Opener] = None,
) -> tuple[int, Any]:
    """Sends one request; returns ``(status, parsed JSON or None)`` for a 2xx, raises otherwise.

    A refused answer raises SwitchyardError with the server's code and message; no answer at all
    (connection refused, DNS failure, timeout) raises SwitchyardError with status 0 and code
    ``connection_error``, so a caller never mistakes an unreachable server for an empty result.
    """
    data = None if body is None else json.dumps(body).encode("utf-8")
    all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **headers}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    open_url = opener or urllib.request.urlopen
    try:
        with open_url(req, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        raw = e.read() if e.fp is not None else b""
        retry_after = parse_retry_after(e.headers.get("Retry-After") if e.headers else None)
        raise _error_from(e.code, raw, retry_after) from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise SwitchyardError(0, "connection_error", f"{method} {url}: {reason}") from e
    text = raw.decode("utf-8", "replace")
    try:
        return status, (json.loads(text) if text else None)
    except ValueError:
        # A proxy or captive page answering 200 with HTML is not a result.
        raise SwitchyardError(status, "invalid_response", f"{method} {url}: expected JSON, got {text[:200]!r}") from None
