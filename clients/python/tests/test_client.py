"""Client without a live platform: requests, error envelopes, 429 retries, polling backoff, wait()."""

import itertools
import unittest

import support
from switchyard import Client, RateLimitedError, SwitchyardError, is_ended, poll_delays
from switchyard.transport import parse_retry_after

KEY = "key1:secret1"


class FakeTime:
    """An injected clock and sleep: sleeping advances the clock and is recorded, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class PureTests(unittest.TestCase):
    def test_poll_delays_grow_by_half_up_to_the_maximum(self):
        self.assertEqual(list(itertools.islice(poll_delays(0.25, 1.0), 6)), [0.25, 0.375, 0.5625, 0.84375, 1.0, 1.0])

    def test_a_task_has_ended_when_finished_canceled_or_failed_without_a_retry(self):
        self.assertTrue(is_ended({"status": "Finished"}))
        self.assertTrue(is_ended({"status": "Canceled"}))
        self.assertTrue(is_ended({"status": "Failed", "retry_at": None}))
        self.assertFalse(is_ended({"status": "Failed", "retry_at": "2026-01-01T00:00:00Z"}))
        for status in ("Pending", "Queued", "Started", "Paused"):
            self.assertFalse(is_ended({"status": status, "retry_at": None}), status)

    def test_retry_after_is_seconds_or_an_http_date(self):
        self.assertEqual(parse_retry_after("7"), 7.0)
        self.assertEqual(parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0), 10.0)
        self.assertEqual(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0), 0.0)
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("soon"))

    def test_the_key_must_be_key_colon_secret_and_repr_hides_the_secret(self):
        with self.assertRaises(ValueError):
            Client("http://x", "no-secret")
        self.assertNotIn("secret1", repr(Client("http://x", KEY)))


class ClientTests(unittest.TestCase):
    def setUp(self):
        self.server = support.StubServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.time = FakeTime()
        self.client = Client(self.server.url + "/", KEY, sleep=self.time.sleep, clock=self.time.clock)

    def test_enqueue_posts_the_task_spec_with_the_token(self):
        self.server.answer("POST", "/api/v1/tasks", 201, {"name": "T1", "status": "Pending"})
        task = self.client.enqueue("erp:myapp.api.sync_customer", {"customer": "C1"}, queue="long", dedupe_key="c1")
        self.assertEqual(task["name"], "T1")
        [request] = self.server.requests
        self.assertEqual(request.headers["Authorization"], f"token {KEY}")
        self.assertEqual(
            request.json(),
            {"method": "erp:myapp.api.sync_customer", "arguments": {"customer": "C1"}, "queue": "long", "dedupe_key": "c1"},
        )

    def test_enqueue_sends_the_trace_context_as_headers_not_in_the_spec(self):
        self.server.answer("POST", "/api/v1/tasks", 201, {"name": "T1", "status": "Pending"})
        parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        self.client.enqueue("demo.echo", {"a": 1}, traceparent=parent, tracestate="erp=frappe")
        [request] = self.server.requests
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.assertEqual(headers["traceparent"], parent)
        self.assertEqual(headers["tracestate"], "erp=frappe")
        self.assertEqual(request.json(), {"method": "demo.echo", "arguments": {"a": 1}})

    def test_bulk_enqueue_sends_tasks_batch_id_and_defaults(self):
        self.server.answer("POST", "/api/v1/tasks/bulk", 201, {"batch_id": "B1", "enqueued": 2, "tasks": []})
        self.client.bulk_enqueue([{"method": "demo.echo", "arguments": {"i": 1}}, {"method": "demo.echo"}], "B1", {"queue": "short"})
        self.assertEqual(
            self.server.requests[0].json(),
            {"tasks": [{"method": "demo.echo", "arguments": {"i": 1}}, {"method": "demo.echo"}], "batch_id": "B1", "defaults": {"queue": "short"}},
        )

    def test_set_task_type_sends_flow_control_and_a_400_names_the_field(self):
        flow = {"throttle": {"limit": 20, "period": "1s", "burst": 5}}
        bad = {"error": {"code": "invalid_flow_control", "message": "flow_control.throttle.period: must be more than zero", "details": []}}
        self.server.answer("PUT", "/api/v1/task-types/invoices.sync", 200, {"method": "invoices.sync", "flow_control": flow})
        self.server.answer("PUT", "/api/v1/task-types/invoices.sync", 400, bad)
        self.assertEqual(self.client.set_task_type("invoices.sync", flow_control=flow)["flow_control"], flow)
        self.assertEqual(self.server.requests[0].json(), {"flow_control": flow})
        with self.assertRaises(SwitchyardError) as caught:
            self.client.set_task_type("invoices.sync", flow_control={"throttle": {"limit": 1, "period": "0s"}})
        self.assertIn("flow_control.throttle.period", caught.exception.message)
        self.server.answer("GET", "/api/v1/tasks/T1/waiting", 200, {"reason": "throttled", "causes": []})
        self.assertEqual(self.client.waiting("T1")["reason"], "throttled")
        self.server.answer("GET", "/api/v1/task-types/invoices.sync/flow", 200, {"throttled": 3})
        self.assertEqual(self.client.flow_usage("invoices.sync")["throttled"], 3)

    def test_names_are_escaped_in_paths(self):
        self.server.answer("GET", "/api/v1/batches/a%2Fb", 200, {"total": 0})
        self.assertEqual(self.client.batch("a/b"), {"total": 0})

    def test_an_error_envelope_becomes_a_switchyard_error(self):
        body = {"error": {"code": "not_found", "message": "no task X", "details": {"name": "X"}}}
        self.server.answer("GET", "/api/v1/tasks/X", 404, body)
        with self.assertRaises(SwitchyardError) as caught:
            self.client.get("X")
        e = caught.exception
        self.assertEqual((e.status, e.code, e.message, e.details), (404, "not_found", "no task X", {"name": "X"}))

    def test_a_2xx_that_is_not_json_is_an_error_not_a_result(self):
        self.server.answer("GET", "/api/v1/tasks/T1", 200, b"<html>login</html>")
        with self.assertRaises(SwitchyardError) as caught:
            self.client.get("T1")
        self.assertEqual((caught.exception.status, caught.exception.code), (200, "invalid_response"))

    def test_a_429_is_retried_after_retry_after_then_succeeds(self):
        limited = {"error": {"code": "rate_limited", "message": "slow down"}}
        self.server.answer("GET", "/api/v1/tasks/T1", 429, limited, {"Retry-After": "2"})
        self.server.answer("GET", "/api/v1/tasks/T1", 429, limited, {"Retry-After": "1"})
        self.server.answer("GET", "/api/v1/tasks/T1", 200, {"name": "T1", "status": "Queued"})
        self.assertEqual(self.client.get("T1")["status"], "Queued")
        self.assertEqual(self.time.sleeps, [2.0, 1.0])

    def test_429_retries_are_bounded_and_capped(self):
        client = Client(self.server.url, KEY, rate_limit_retries=2, max_retry_after=5, sleep=self.time.sleep)
        self.server.answer("GET", "/api/v1/tasks/T1", 429, {"error": {"code": "rate_limited", "message": "no"}}, {"Retry-After": "600"})
        with self.assertRaises(RateLimitedError) as caught:
            client.get("T1")
        self.assertEqual(self.time.sleeps, [5, 5])
        self.assertEqual((caught.exception.status, caught.exception.retry_after), (429, 600.0))
        self.assertEqual(len(self.server.requests), 3)

    def test_wait_polls_with_backoff_until_the_task_has_ended(self):
        for status, retry_at in [("Queued", None), ("Started", None), ("Failed", "later"), ("Failed", None)]:
            self.server.answer("GET", "/api/v1/tasks/T1", 200, {"name": "T1", "status": status, "retry_at": retry_at})
        task = self.client.wait("T1", timeout=60, poll=0.5, max_poll=1.0)
        self.assertEqual((task["status"], task["retry_at"]), ("Failed", None))
        self.assertEqual(self.time.sleeps, [0.5, 0.75, 1.0])

    def test_wait_raises_timeout_error_naming_the_task_and_its_status(self):
        self.server.answer("GET", "/api/v1/tasks/T1", 200, {"name": "T1", "status": "Started", "retry_at": None})
        with self.assertRaises(TimeoutError) as caught:
            self.client.wait("T1", timeout=3, poll=1, max_poll=1)
        self.assertIn("T1", str(caught.exception))
        self.assertIn("Started", str(caught.exception))
        self.assertEqual(sum(self.time.sleeps), 3)


class UnreachableTests(unittest.TestCase):
    def test_no_answer_at_all_is_status_0_connection_error(self):
        with support.StubServer() as server:
            url = server.url  # closed once the block ends
        with self.assertRaises(SwitchyardError) as caught:
            Client(url, KEY, timeout=5).get("T1")
        self.assertEqual((caught.exception.status, caught.exception.code), (0, "connection_error"))


if __name__ == "__main__":
    unittest.main()
