"""Callback: reading Switchyard's headers from any mapping, and reporting back to a stub server."""

import unittest

import support
from switchyard import Callback, StaleAttemptError, SwitchyardError

URL = "https://switchyard.example.com/api/v1/tasks/01J0TASK"


class EnvironHeaders:
    """Like werkzeug's EnvironHeaders (frappe.request.headers): items() and a case-insensitive get()."""

    def __init__(self, environ):
        self._environ = environ

    def items(self):
        for key, value in self._environ.items():
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").title(), value

    def get(self, name, default=None):
        return self._environ.get("HTTP_" + name.upper().replace("-", "_"), default)


class FromHeadersTests(unittest.TestCase):
    expected = (URL, "tok-1", "01J0TASK", 2)

    def read(self, headers):
        callback = Callback.from_headers(headers)
        return callback.url, callback.token, callback.task, callback.attempt

    def test_reads_a_dict_with_any_key_case(self):
        headers = {
            "x-switchyard-callback-url": URL,
            "X-SWITCHYARD-CALLBACK-TOKEN": "tok-1",
            "X-Switchyard-Task": "01J0TASK",
            "x-Switchyard-attempt": "2",
        }
        self.assertEqual(self.read(headers), self.expected)

    def test_reads_frappe_request_headers_pairs_and_a_wsgi_environ(self):
        environ = {
            "HTTP_X_SWITCHYARD_CALLBACK_URL": URL,
            "HTTP_X_SWITCHYARD_CALLBACK_TOKEN": "tok-1",
            "HTTP_X_SWITCHYARD_TASK": "01J0TASK",
            "HTTP_X_SWITCHYARD_ATTEMPT": "2",
        }
        self.assertEqual(self.read(EnvironHeaders(environ)), self.expected)
        self.assertEqual(self.read(environ), self.expected)
        pairs = [(k[5:].replace("_", "-"), v) for k, v in environ.items()]
        self.assertEqual(self.read(pairs), self.expected)

    def test_a_request_without_the_callback_headers_is_refused(self):
        with self.assertRaises(ValueError):
            Callback.from_headers({"X-Switchyard-Callback-URL": URL})
        with self.assertRaises(ValueError):
            Callback.from_headers({})

    def test_a_missing_or_odd_attempt_is_none_and_repr_hides_the_token(self):
        callback = Callback.from_headers({"X-Switchyard-Callback-URL": URL + "/", "X-Switchyard-Callback-Token": "t"})
        self.assertEqual((callback.url, callback.attempt, callback.task), (URL, None, None))
        self.assertNotIn("t'", repr(Callback(URL, "secret-token")))
        self.assertNotIn("secret-token", repr(Callback(URL, "secret-token")))


class ReportTests(unittest.TestCase):
    def setUp(self):
        self.server = support.StubServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.callback = Callback(f"{self.server.url}/api/v1/tasks/T1", "tok-9")

    def test_progress_complete_and_fail_post_json_with_the_bearer_token(self):
        for kind in ("progress", "complete", "fail"):
            self.server.answer("POST", f"/api/v1/tasks/T1/{kind}", 200, {"ok": True})
        self.assertEqual(self.callback.progress(count=1, total=4), {"ok": True})
        self.callback.progress(description="Half way")
        self.callback.complete({"rows": 4})
        self.callback.fail("boom", permanent=True)
        sent = [(r.path.rsplit("/", 1)[1], r.json()) for r in self.server.requests]
        self.assertEqual(
            sent,
            [
                ("progress", {"count": 1, "total": 4}),
                ("progress", {"description": "Half way"}),
                ("complete", {"result": {"rows": 4}}),
                ("fail", {"error": "boom", "permanent": True}),
            ],
        )
        self.assertEqual({r.headers["Authorization"] for r in self.server.requests}, {"Bearer tok-9"})
        self.assertEqual({r.headers["Content-Type"] for r in self.server.requests}, {"application/json"})

    def test_a_409_means_the_attempt_is_over(self):
        body = {"error": {"code": "conflict", "message": "task is Canceled", "details": None}}
        self.server.answer("POST", "/api/v1/tasks/T1/progress", 409, body)
        with self.assertRaises(StaleAttemptError) as caught:
            self.callback.progress(count=2)
        self.assertEqual((caught.exception.status, caught.exception.message), (409, "task is Canceled"))

    def test_a_wrong_token_is_a_plain_switchyard_error(self):
        self.server.answer("POST", "/api/v1/tasks/T1/complete", 401, {"error": {"code": "unauthorized", "message": "bad token"}})
        with self.assertRaises(SwitchyardError) as caught:
            self.callback.complete(None)
        self.assertNotIsInstance(caught.exception, StaleAttemptError)
        self.assertEqual(caught.exception.status, 401)


if __name__ == "__main__":
    unittest.main()
