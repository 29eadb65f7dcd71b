"""Standard Webhooks signing and verification, checked against the spec's published vector."""

import base64
import unittest

import support  # noqa: F401  (puts the package on sys.path)
from switchyard import SignatureError, sign, verify_signature

# The cross-library vector of github.com/standard-webhooks/standard-webhooks (the Go and C#
# libraries' tests), the same one test/remote-signing.unit.test.ts checks the TypeScript side with.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": '{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
OTHER_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def vector_headers(**overrides):
    headers = {
        "webhook-id": VECTOR["id"],
        "webhook-timestamp": str(VECTOR["timestamp"]),
        "webhook-signature": VECTOR["signature"],
    }
    headers.update(overrides)
    return headers


class SignTests(unittest.TestCase):
    def test_reproduces_the_published_vector(self):
        self.assertEqual(
            sign(VECTOR["id"], VECTOR["timestamp"], VECTOR["body"], VECTOR["secret"]),
            vector_headers(),
        )

    def test_a_byte_body_signs_like_the_same_text(self):
        signed = sign(VECTOR["id"], VECTOR["timestamp"], VECTOR["body"].encode(), [VECTOR["secret"]])
        self.assertEqual(signed["webhook-signature"], VECTOR["signature"])

    def test_rotation_carries_one_signature_per_secret(self):
        signed = sign("task_2", 1, "{}", [VECTOR["secret"], OTHER_SECRET])
        self.assertEqual(len(signed["webhook-signature"].split(" ")), 2)

    def test_refuses_ids_with_a_dot_and_malformed_secrets(self):
        with self.assertRaises(ValueError):
            sign("task.1", 1, "{}", VECTOR["secret"])
        for secret in ("whsec_", "whsec_c2hvcnQ=", "whsec_not base64!"):
            with self.assertRaises(ValueError, msg=secret):
                sign("t_1", 1, "{}", secret)


class VerifyTests(unittest.TestCase):
    now = VECTOR["timestamp"]

    def test_accepts_the_published_vector(self):
        self.assertTrue(verify_signature(vector_headers(), VECTOR["body"], VECTOR["secret"], now=self.now))

    def test_header_names_are_case_insensitive(self):
        headers = {"Webhook-Id": VECTOR["id"], "WEBHOOK-TIMESTAMP": str(VECTOR["timestamp"])}
        headers["Webhook-Signature"] = VECTOR["signature"]
        self.assertTrue(verify_signature(headers, VECTOR["body"].encode(), VECTOR["secret"], now=self.now))

    def test_any_of_several_secrets_and_signatures_matches(self):
        headers = vector_headers(**{"webhook-signature": "v1a,abc v1,AAAA " + VECTOR["signature"]})
        self.assertTrue(verify_signature(headers, VECTOR["body"], [OTHER_SECRET, VECTOR["secret"]], now=self.now))
        self.assertTrue(verify_signature(headers, VECTOR["body"], f"{OTHER_SECRET} {VECTOR['secret']}", now=self.now))

    def reason(self, headers, body=VECTOR["body"], secrets=VECTOR["secret"], now=None, **kwargs):
        with self.assertRaises(SignatureError) as caught:
            verify_signature(headers, body, secrets, now=self.now if now is None else now, **kwargs)
        return caught.exception.reason

    def test_a_changed_body_or_another_secret_does_not_match(self):
        self.assertEqual(self.reason(vector_headers(), body='{"test": 2432232315}'), "no-matching-signature")
        self.assertEqual(self.reason(vector_headers(), secrets=OTHER_SECRET), "no-matching-signature")

    def test_missing_headers_and_bad_timestamps_are_refused_with_their_reason(self):
        self.assertEqual(self.reason({}), "missing-headers")
        self.assertEqual(self.reason(vector_headers(**{"webhook-signature": ""})), "missing-headers")
        self.assertEqual(self.reason(vector_headers(**{"webhook-timestamp": "1614265330.5"})), "invalid-timestamp")

    def test_the_replay_window_is_tolerance_s_either_way(self):
        self.assertTrue(verify_signature(vector_headers(), VECTOR["body"], VECTOR["secret"], now=self.now + 300))
        self.assertEqual(self.reason(vector_headers(), now=self.now + 301), "timestamp-too-old")
        self.assertEqual(self.reason(vector_headers(), now=self.now - 301), "timestamp-too-new")
        self.assertEqual(self.reason(vector_headers(), now=self.now + 11, tolerance_s=10), "timestamp-too-old")

    def test_a_malformed_secret_is_a_configuration_error_not_a_bad_signature(self):
        with self.assertRaises(ValueError) as caught:
            verify_signature(vector_headers(), VECTOR["body"], "whsec_short", now=self.now)
        self.assertNotIsInstance(caught.exception, SignatureError)


if __name__ == "__main__":
    unittest.main()


class VerifyWebhookTests(unittest.TestCase):
    """A receiver's check of Switchyard's webhooks: the signature, then the event."""

    BODY = '{"type":"task.finished","timestamp":"2026-12-07T12:00:00.000Z","data":{"name":"T1","status":"Finished"}}'

    def signed(self, body=None, secret=OTHER_SECRET, msg_id="msg_0123456789abcdef", at=1_800_000_000):
        return sign(msg_id, at, self.BODY if body is None else body, secret)

    def test_returns_the_event_with_its_webhook_id(self):
        from switchyard import verify_webhook

        event = verify_webhook(self.signed(), self.BODY, OTHER_SECRET, now=1_800_000_010)
        self.assertEqual(event["id"], "msg_0123456789abcdef")
        self.assertEqual(event["type"], "task.finished")
        self.assertEqual(event["data"], {"name": "T1", "status": "Finished"})

    def test_a_byte_body_verifies_like_text(self):
        from switchyard import verify_webhook

        event = verify_webhook(self.signed(), self.BODY.encode(), OTHER_SECRET, now=1_800_000_000)
        self.assertEqual(event["type"], "task.finished")

    def test_a_changed_body_another_secret_or_an_old_timestamp_is_refused(self):
        from switchyard import verify_webhook

        with self.assertRaises(SignatureError) as changed:
            verify_webhook(self.signed(), self.BODY.replace("T1", "T2"), OTHER_SECRET, now=1_800_000_000)
        self.assertEqual(changed.exception.reason, "no-matching-signature")
        with self.assertRaises(SignatureError):
            verify_webhook(self.signed(), self.BODY, VECTOR["secret"], now=1_800_000_000)
        with self.assertRaises(SignatureError) as old:
            verify_webhook(self.signed(), self.BODY, OTHER_SECRET, now=1_800_000_000 + 301)
        self.assertEqual(old.exception.reason, "timestamp-too-old")

    def test_a_signed_body_that_is_not_an_event_is_refused(self):
        from switchyard import verify_webhook

        with self.assertRaises(SignatureError) as bad:
            verify_webhook(self.signed(body="[1]"), "[1]", OTHER_SECRET, now=1_800_000_000)
        self.assertEqual(bad.exception.reason, "invalid-body")
