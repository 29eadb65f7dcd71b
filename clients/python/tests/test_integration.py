"""Against a live platform: SWITCHYARD_URL and SWITCHYARD_KEY (an admin "<key>:<secret>").

Skipped only when neither variable is set. When they are set, a platform that cannot be reached
or refuses the key fails the run: CI sets them, and a silent skip there would hide a broken client.
Uses the demo methods demo.echo and demo.sleep (present when the platform runs with `npm start`).
"""

import os
import unittest
import uuid

import support  # noqa: F401  (puts the package on sys.path)
from switchyard import Client, SwitchyardError

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


if __name__ == "__main__":
    unittest.main()
