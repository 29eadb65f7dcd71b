"""Against a live platform: SWITCHYARD_URL and SWITCHYARD_KEY (an admin "<key>:<secret>").

Skipped only when neither variable is set. When they are set, a platform that cannot be reached
or refuses the key fails the run: CI sets them, and a silent skip there would hide a broken client.
Uses the demo methods demo.echo and demo.sleep and the demo-frappe target (present when the
platform runs with `npm start`), and serves a remote method of its own on loopback.
"""

import json
import os
import time
import threading
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import support  # noqa: F401  (puts the package on sys.path)
from switchyard import Callback, Client, SignatureError, SwitchyardError, verify_signature, verify_webhook

URL = os.environ.get("SWITCHYARD_URL", "")
KEY = os.environ.get("SWITCHYARD_KEY", "")


def setUpModule():
    if not URL and not KEY:
        raise unittest.SkipTest("SWITCHYARD_URL and SWITCHYARD_KEY are not set")
    if not URL or not KEY:
        raise RuntimeError("set both SWITCHYARD_URL and SWITCHYARD_KEY (only one is set)")
    # Reachability and the key, up front: a 404 for an unknown task proves both.
    try:
        Client(URL, KEY, timeout=10).get("00000000000000000000000000")
    except SwitchyardError as e:
        if e.status != 404:
            raise RuntimeError(f"Switchyard at {URL} is not usable: {e}") from e
    else:
        raise RuntimeError("a made-up task name was found: is SWITCHYARD_URL a Switchyard server?")


class LivePlatformTests(unittest.TestCase):
    def setUp(self):
        self.client = Client(URL, KEY)

    def test_enqueue_then_wait_returns_the_finished_task_with_its_result(self):
        arguments = {"n": 1, "from": "python"}
        task = self.client.enqueue("demo.echo", arguments)
        self.assertIn(task["status"], ("Pending", "Queued", "Started", "Finished"))
        done = self.client.wait(task["name"], timeout=60)
        self.assertEqual(done["status"], "Finished")
        self.assertEqual(done["result"]["args"], arguments)
        self.assertEqual(self.client.get(task["name"])["status"], "Finished")

    def test_a_dedupe_key_returns_the_live_task_and_cancel_ends_it(self):
        key = f"py-{uuid.uuid4().hex}"
        first = self.client.enqueue("demo.sleep", {"ms": 60_000}, dedupe_key=key)
        second = self.client.enqueue("demo.sleep", {"ms": 60_000}, dedupe_key=key)
        self.assertEqual(second["name"], first["name"])
        self.client.cancel(first["name"], "python client test")
        self.assertEqual(self.client.wait(first["name"], timeout=60)["status"], "Canceled")

    def test_bulk_enqueue_runs_a_batch_and_its_counters_add_up(self):
        specs = [{"method": "demo.echo", "arguments": {"i": i}} for i in range(3)]
        batch = self.client.bulk_enqueue(specs, defaults={"queue": "short"})
        self.assertEqual(batch["enqueued"], 3)
        self.assertEqual([t["batch_order"] for t in batch["tasks"]], [0, 1, 2])
        results = [self.client.wait(t["name"], timeout=60) for t in batch["tasks"]]
        self.assertEqual([r["result"]["args"] for r in results], [{"i": 0}, {"i": 1}, {"i": 2}])
        # Batch counters are kept by the task log, which trails the tasks by about a second.
        deadline = time.monotonic() + 30
        counters = self.client.batch(batch["batch_id"])
        while counters["done"] < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
            counters = self.client.batch(batch["batch_id"])
        self.assertEqual((counters["total"], counters["done"], counters["finished"]), (3, 3, 3))

    def test_wait_raises_timeout_error_while_the_task_still_runs(self):
        task = self.client.enqueue("demo.sleep", {"ms": 60_000})
        try:
            with self.assertRaises(TimeoutError) as caught:
                self.client.wait(task["name"], timeout=0.5, poll=0.1)
            self.assertIn(task["name"], str(caught.exception))
        finally:
            self.client.cancel(task["name"])

    def test_a_method_over_two_shards_runs_every_task_once_within_its_per_key_limit(self):
        flow = {"shards": 2, "concurrency": [{"key": "arguments.customer", "limit": 1}]}
        self.client.set_task_type("demo.customer", concurrency_limit=4, flow_control=flow)
        try:
            run = uuid.uuid4().hex[:6]
            names = [
                self.client.enqueue("demo.customer", {"customer": f"py-{run}-{i % 4}", "ms": 30})["name"]
                for i in range(12)
            ]
            done = [self.client.wait(name, timeout=120) for name in names]
            self.assertTrue(all(t["status"] == "Finished" and t["attempt"] == 1 for t in done))
            # At most one at a time per customer, wherever its shard is.
            for i in range(4):
                mine = sorted((t["started_at"], t["ended_at"]) for t in done if t["arguments"]["customer"] == f"py-{run}-{i}")
                for (_, end), (start, _) in zip(mine, mine[1:]):
                    self.assertLessEqual(end, start)
            usage = self.client.flow_usage("demo.customer")
            self.assertEqual([s["shard"] for s in usage["shards"]], [0, 1])
        finally:
            self.client.set_task_type("demo.customer", concurrency_limit=0, flow_control=None)

    def test_refusals_raise_switchyard_error_with_the_server_code(self):
        with self.assertRaises(SwitchyardError) as missing:
            self.client.get("00000000000000000000000000")
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "not_found"))
        with self.assertRaises(SwitchyardError) as unknown:
            self.client.enqueue("no.such.method", {})
        self.assertTrue(400 <= unknown.exception.status < 500, unknown.exception)
        with self.assertRaises(SwitchyardError) as bad_key:
            Client(URL, "nobody:wrong").get("00000000000000000000000000")
        self.assertEqual(bad_key.exception.status, 401)


class RemoteMethodTests(unittest.TestCase):
    """Remote methods against the live platform: the demo Frappe site `npm start` registers, and a
    method served by this test (an `http` target on loopback, which `npm start` allows) that
    verifies the signature, answers 202 and reports through Callback."""

    def setUp(self):
        self.client = Client(URL, KEY)

    def test_the_demo_frappe_site_runs_a_202_job_to_the_end(self):
        task = self.client.enqueue("demo-frappe:myapp.api.long_job", {"steps": 3, "step_ms": 100})
        done = self.client.wait(task["name"], timeout=60)
        self.assertEqual(done["status"], "Finished", done.get("error_message"))
        self.assertEqual(done["result"], {"steps": 3, "done": True})

    def test_a_method_served_here_is_called_signed_and_reports_through_callback(self):
        received = {}
        secrets = []

        class Method(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    verify_signature(self.headers, body, secrets)
                except SignatureError as e:
                    received["signature"] = e.reason
                    self.send_response(401)
                    self.end_headers()
                    return
                received.update(signature="valid", path=self.path, body=json.loads(body))
                callback = Callback.from_headers(self.headers)
                self.send_response(202)
                self.end_headers()

                def work():
                    for i in (1, 2, 3):
                        callback.progress(i, 3, f"step {i}")
                    callback.complete({"customer": received["body"]["arguments"]["customer"], "synced": True})

                threading.Thread(target=work, daemon=True).start()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Method)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        target = f"py-{uuid.uuid4().hex[:8]}"
        try:
            created = self.client._request(
                "PUT",
                f"/api/v1/remote-targets/{target}",
                {
                    "kind": "http",
                    "base_url": f"http://127.0.0.1:{server.server_address[1]}",
                    "allowed_methods": ["jobs/*"],
                },
            )
            secrets.append(created["signing_secret"])
            task = self.client.enqueue(f"{target}:jobs/sync-customer", {"customer": "CUST-0001"})
            done = self.client.wait(task["name"], timeout=60)
            self.assertEqual(done["status"], "Finished", done.get("error_message"))
            self.assertEqual(done["result"], {"customer": "CUST-0001", "synced": True})
            self.assertEqual(done["progress"], {"count": 3, "total": 3, "description": "step 3"})
            self.assertEqual(received["signature"], "valid")
            self.assertEqual(received["path"], "/jobs/sync-customer")
            self.assertEqual(
                received["body"],
                {
                    "task": task["name"],
                    "attempt": 1,
                    "method": f"{target}:jobs/sync-customer",
                    "arguments": {"customer": "CUST-0001"},
                },
            )
        finally:
            server.shutdown()
            server.server_close()
            self.client._request("DELETE", f"/api/v1/remote-targets/{target}?force=true")


class CompletionWebhookTests(unittest.TestCase):
    """A completion webhook subscription delivering to a receiver served here (loopback, which
    `npm start` allows), verified with verify_webhook."""

    def setUp(self):
        self.client = Client(URL, KEY)

    def test_a_finished_task_arrives_signed_and_verify_webhook_accepts_it(self):
        events = []
        refused = []
        secrets = []
        arrived = threading.Event()

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    events.append(verify_webhook(self.headers, body, secrets))
                except SignatureError as e:
                    refused.append(e.reason)
                self.send_response(204)
                self.end_headers()
                arrived.set()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        subscription = None
        try:
            marker = uuid.uuid4().hex
            subscription = self.client._request(
                "POST",
                "/api/v1/webhooks",
                {
                    "method": "demo.echo",
                    "events": ["task.finished"],
                    "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                },
            )
            secrets.append(subscription["signing_secret"])
            # A new subscription applies within WEBHOOK_CACHE_TTL_S (10 s) in other isolates: enqueue
            # until a task's end arrives, then check that task arrived exactly once.
            deadline = time.time() + 60
            names = []
            while time.time() < deadline and not events:
                task = self.client.enqueue("demo.echo", {"marker": marker})
                self.assertEqual(self.client.wait(task["name"], timeout=60)["status"], "Finished")
                names.append(task["name"])
                arrived.wait(2)
            self.assertTrue(events, "no completion webhook arrived")
            name = events[0]["data"]["name"]
            self.assertIn(name, names)
            mine = [e for e in events if e["data"].get("name") == name]
            self.assertEqual(refused, [])
            self.assertEqual(len(mine), 1, events)
            self.assertEqual(mine[0]["type"], "task.finished")
            self.assertTrue(mine[0]["id"].startswith("msg_"))
        finally:
            server.shutdown()
            server.server_close()
            if subscription is not None:
                self.client._request("DELETE", f"/api/v1/webhooks/{subscription['id']}")


if __name__ == "__main__":
    unittest.main()
