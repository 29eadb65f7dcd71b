"""The task API client: enqueue, bulk-enqueue, read and wait on tasks and batches."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from .errors import RateLimitedError, SwitchyardError
from .transport import Opener, request_json

#: Statuses a task can have (Switchyard's Async Task Log).
STATUSES = ("Pending", "Queued", "Started", "Finished", "Failed", "Canceled", "Paused")


def trace_headers(traceparent: Optional[str], tracestate: Optional[str]) -> dict:
    """The W3C trace context headers to send (none without a traceparent)."""
    if traceparent is None:
        return {}
    return {"traceparent": traceparent, **({"tracestate": tracestate} if tracestate is not None else {})}


def is_ended(task: Mapping[str, Any]) -> bool:
    """True when the task will not change again without a manual retry: Finished, Canceled, or
    Failed with no retry scheduled (``retry_at`` null)."""
    status = task.get("status")
    return status in ("Finished", "Canceled") or (status == "Failed" and task.get("retry_at") is None)


def poll_delays(first: float = 0.25, maximum: float = 5.0, factor: float = 1.5) -> Iterator[float]:
    """The waits between polls: ``first``, then ×``factor`` each time, never above ``maximum``."""
    delay = first
    while True:
        yield min(delay, maximum)
        delay = min(delay * factor, maximum)


class Client:
    """A client bound to one Switchyard server and API key.

    >>> client = Client("https://switchyard.example.com", "key:secret")
    >>> task = client.enqueue("erp:myapp.api.sync_customer", {"customer": "CUST-0001"})
    >>> client.wait(task["name"])["status"]
    'Finished'

    A 429 (rate limited) is retried up to ``rate_limit_retries`` times, each after the server's
    ``Retry-After`` (capped at ``max_retry_after`` seconds); then RateLimitedError is raised.
    Every other refusal raises SwitchyardError at once.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        rate_limit_retries: int = 3,
        max_retry_after: float = 60.0,
        opener: Optional[Opener] = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ":" not in api_key:
            raise ValueError('api_key is "<key>:<secret>"')
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.rate_limit_retries = rate_limit_retries
        self.max_retry_after = max_retry_after
        self._opener = opener
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        # Never the secret: clients end up in logs and tracebacks.
        return f"Client({self.base_url!r}, {self._api_key.split(':', 1)[0]!r}:***)"

    def _request(self, method: str, path: str, body: Any = None, extra: Optional[Mapping[str, str]] = None) -> Any:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"token {self._api_key}", **(extra or {})}
        for attempt in range(self.rate_limit_retries + 1):
            try:
                return request_json(method, url, headers, body, self.timeout, self._opener)[1]
            except SwitchyardError as e:
                if e.status != 429:
                    raise
                if attempt == self.rate_limit_retries:
                    raise RateLimitedError(e.status, e.code, e.message, e.details, e.retry_after) from None
                wait = e.retry_after if e.retry_after is not None else 2.0**attempt
                self._sleep(min(wait, self.max_retry_after))
        raise AssertionError("unreachable")

    @staticmethod
    def _quote(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    def enqueue(
        self,
        method: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        traceparent: Optional[str] = None,
        tracestate: Optional[str] = None,
        **options: Any,
    ) -> dict:
        """Enqueues one task; returns the task (201), or the live task with the same
        ``dedupe_key`` (200). Options: queue, priority, timeout, max_retries, retry_delay,
        run_at, dedupe_key, batch_id, and any other task-spec field. ``traceparent`` (and
        ``tracestate``), the W3C trace context of the calling request (a Frappe request's, say),
        puts the task in that trace: sent as headers, never in the spec."""
        spec = {"method": method, "arguments": dict(arguments or {}), **options}
        return self._request("POST", "/api/v1/tasks", spec, trace_headers(traceparent, tracestate))

    def bulk_enqueue(
        self,
        tasks: Sequence[Mapping[str, Any]],
        batch_id: Optional[str] = None,
        defaults: Optional[Mapping[str, Any]] = None,
    ) -> dict:
        """Enqueues task specs (each ``{"method", "arguments", ...}``) as one batch, all or
        nothing; returns ``{batch_id, enqueued, tasks: [{name, method, batch_order}]}``."""
        body: dict = {"tasks": [dict(t) for t in tasks]}
        if batch_id is not None:
            body["batch_id"] = batch_id
        if defaults is not None:
            body["defaults"] = dict(defaults)
        return self._request("POST", "/api/v1/tasks/bulk", body)

    def get(self, name: str) -> dict:
        """The task as it is now (status, retry_at, result, error_message, progress, ...)."""
        return self._request("GET", f"/api/v1/tasks/{self._quote(name)}")

    def cancel(self, name: str, message: Optional[str] = None) -> dict:
        """Cancels a task that has not ended; returns it."""
        body = {} if message is None else {"message": message}
        return self._request("POST", f"/api/v1/tasks/{self._quote(name)}/cancel", body)

    def waiting(self, name: str) -> dict:
        """Why a task has not started: ``{reason, message, causes: [{reason, message}], ...}``
        (flow control names each cause: throttled, key_limit, singleton, fair_share, debounced)."""
        return self._request("GET", f"/api/v1/tasks/{self._quote(name)}/waiting")

    def task_type(self, method: str) -> dict:
        """A method's task type: ``{concurrency_limit, priority, flow_control, effective_flow_control, ...}``."""
        return self._request("GET", f"/api/v1/task-types/{self._quote(method)}")

    def set_task_type(self, method: str, **fields: Any) -> dict:
        """Creates or updates a method's task type (System Manager). Fields: concurrency_limit,
        priority, is_standard, flow_control — e.g. ``flow_control={"throttle": {"limit": 20,
        "period": "1s", "burst": 5}}``; ``flow_control=None`` goes back to the code's settings.
        A bad field raises SwitchyardError (400) naming it."""
        return self._request("PUT", f"/api/v1/task-types/{self._quote(method)}", dict(fields))

    def flow_usage(self, method: str) -> dict:
        """Flow control in use now: ``{keys, singletons, throttles, waiting, throttled, rate_limited,
        shards, ...}`` (``shards``: a sharded method's objects, each one's running tasks and slots)."""
        return self._request("GET", f"/api/v1/task-types/{self._quote(method)}/flow")

    def batch(self, batch_id: str) -> dict:
        """A batch's counters: ``{total, done, finished, failed, canceled, ...}``."""
        return self._request("GET", f"/api/v1/batches/{self._quote(batch_id)}")

    def wait(self, name: str, timeout: float = 300.0, poll: float = 0.25, max_poll: float = 5.0) -> dict:
        """Polls the task until it has ended (see ``is_ended``) and returns it, whatever its
        outcome; waits ``poll`` seconds at first, growing to ``max_poll``. Raises TimeoutError
        naming the task and its last status when ``timeout`` seconds pass first."""
        deadline = self._clock() + timeout
        delays = poll_delays(poll, max_poll)
        while True:
            task = self.get(name)
            if is_ended(task):
                return task
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise TimeoutError(
                    f"task {name} has not ended after {timeout:g}s (status {task.get('status')}, "
                    f"retry_at {task.get('retry_at')})"
                )
            self._sleep(min(next(delays), remaining))
