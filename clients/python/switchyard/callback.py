"""The remote side of a 202: report progress, completion or failure of one attempt back to Switchyard."""

from __future__ import annotations

from typing import Any, Optional

from .errors import StaleAttemptError, SwitchyardError
from .headers import header
from .transport import Opener, request_json


class Callback:
    """Where one attempt reports back: Switchyard's ``<origin>/api/v1/tasks/<task>`` and the
    attempt's callback token (sent as ``Authorization: Bearer <token>``).

    Every report returns Switchyard's JSON answer. A 409 raises StaleAttemptError: the attempt
    was canceled, timed out, finished or retried, so the work should stop. Any other refusal
    raises SwitchyardError. ``progress`` doubles as a heartbeat: it extends the attempt's lease.

    Keep the Callback (or its ``url`` and ``token``) with the work, e.g. pass them to
    ``frappe.enqueue``: the token is only valid for this attempt.
    """

    def __init__(
        self,
        url: str,
        token: str,
        task: Optional[str] = None,
        attempt: Optional[int] = None,
        *,
        timeout: float = 15.0,
        opener: Optional[Opener] = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.task = task
        self.attempt = attempt
        self.timeout = timeout
        self._opener = opener

    def __repr__(self) -> str:
        # The token authorises reports for this attempt: keep it out of logs.
        return f"Callback({self.url!r}, task={self.task!r}, attempt={self.attempt!r})"

    @classmethod
    def from_headers(cls, headers: Any, **kwargs: Any) -> "Callback":
        """Reads ``X-Switchyard-Callback-URL``, ``X-Switchyard-Callback-Token``,
        ``X-Switchyard-Task`` and ``X-Switchyard-Attempt`` from any headers mapping (case-
        insensitive), e.g. ``frappe.request.headers``. Raises ValueError when the URL or token is
        missing, i.e. the request did not come from Switchyard."""
        url = header(headers, "X-Switchyard-Callback-URL")
        token = header(headers, "X-Switchyard-Callback-Token")
        if not url or not token:
            raise ValueError(
                "X-Switchyard-Callback-URL and X-Switchyard-Callback-Token are missing: "
                "this request was not a Switchyard remote-method call"
            )
        attempt = header(headers, "X-Switchyard-Attempt")
        return cls(
            url,
            token,
            task=header(headers, "X-Switchyard-Task"),
            attempt=int(attempt) if attempt and attempt.isdigit() else None,
            **kwargs,
        )

    def _post(self, kind: str, body: dict) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            return request_json("POST", f"{self.url}/{kind}", headers, body, self.timeout, self._opener)[1]
        except SwitchyardError as e:
            if e.status == 409:
                raise StaleAttemptError(e.status, e.code, e.message, e.details, e.retry_after) from None
            raise

    def progress(
        self,
        count: Optional[float] = None,
        total: Optional[float] = None,
        description: Optional[str] = None,
    ) -> Any:
        """Reports progress (any of count, total, description) and extends the lease."""
        body = {k: v for k, v in (("count", count), ("total", total), ("description", description)) if v is not None}
        return self._post("progress", body)

    def complete(self, result: Any = None) -> Any:
        """Finishes the task with ``result`` (any JSON value)."""
        return self._post("complete", {"result": result})

    def fail(self, error: str, permanent: bool = False) -> Any:
        """Fails the attempt with ``error``; ``permanent=True`` skips the remaining retries."""
        return self._post("fail", {"error": str(error), "permanent": bool(permanent)})
