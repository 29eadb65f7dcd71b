"""Errors raised by the Switchyard client and the remote-method helpers."""

from __future__ import annotations

from typing import Any, Optional


class SwitchyardError(Exception):
    """An answer Switchyard refused: HTTP status plus its ``{"error": {code, message, details}}``.

    ``status`` is 0 when no answer arrived at all (connection refused, DNS, timeout); ``code``
    is then ``"connection_error"``. ``retry_after`` is the server's ``Retry-After`` in seconds
    when it sent one.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after


class RateLimitedError(SwitchyardError):
    """429 Too Many Requests, still refused after the client's bounded retries."""


class StaleAttemptError(SwitchyardError):
    """409 from a callback: this attempt is stale or no longer Started (canceled, timed out,
    finished, or superseded by a retry). The remote work should stop; nothing it reports counts."""


class SignatureError(ValueError):
    """A request whose Standard Webhooks signature does not verify.

    ``reason`` is one of ``missing-headers``, ``invalid-timestamp``, ``timestamp-too-old``,
    ``timestamp-too-new``, ``no-matching-signature`` (the same reasons Switchyard's own verifier
    gives), or ``invalid-body`` from ``verify_webhook`` for a signed body that is not an event.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"webhook signature rejected: {reason}")
        self.reason = reason
