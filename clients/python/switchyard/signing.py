"""Standard Webhooks signatures (HMAC-SHA256 over ``id.timestamp.body``), as Switchyard signs its calls.

Switchyard signs every call to a remote method with the target's secret(s) (``whsec_`` + base64);
``verify_signature`` is what the remote side runs on the raw request body before trusting it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import Any, Iterable, Optional, Union

from .errors import SignatureError
from .headers import header

SECRET_PREFIX = "whsec_"
#: Replay window in seconds unless told otherwise (the Standard Webhooks libraries use 5 minutes).
DEFAULT_TOLERANCE_S = 300
_MIN_SECRET_BYTES, _MAX_SECRET_BYTES = 24, 64
_TIMESTAMP = re.compile(r"^\d{1,15}$")
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_:-]{1,256}$")


def _key(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise ValueError(f"a signing secret is whsec_ + base64 of {_MIN_SECRET_BYTES}-{_MAX_SECRET_BYTES} bytes")
    return key


def _secrets(secrets: Union[str, Iterable[str]]) -> list[str]:
    # One string may hold several secrets during a rotation, space- or comma-separated.
    items = re.split(r"[\s,]+", secrets) if isinstance(secrets, str) else list(secrets)
    found = [s for s in items if s]
    if not found:
        raise ValueError("at least one signing secret is needed")
    return found


def _content(msg_id: str, timestamp: str, body: Union[str, bytes]) -> bytes:
    payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return f"{msg_id}.{timestamp}.".encode("utf-8") + payload


def sign(msg_id: str, timestamp: int, body: Union[str, bytes], secrets: Union[str, Iterable[str]]) -> dict:
    """The three Standard Webhooks headers for ``body``; one ``v1,<base64>`` per secret."""
    if not _MESSAGE_ID.match(msg_id):
        raise ValueError("webhook id must be 1-256 of A-Z a-z 0-9 _ : -")
    content = _content(msg_id, str(timestamp), body)
    signatures = [
        "v1," + base64.b64encode(hmac.new(_key(s), content, hashlib.sha256).digest()).decode("ascii")
        for s in _secrets(secrets)
    ]
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


def verify_signature(
    headers: Any,
    body: Union[str, bytes],
    secrets: Union[str, Iterable[str]],
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: Optional[float] = None,
) -> bool:
    """Checks a signed request: the three ``webhook-*`` headers present, the timestamp within
    ``tolerance_s`` of now (replay protection), and a ``v1`` signature matching one of
    ``secrets`` over the exact ``body`` (compared in constant time). Returns True, or raises
    SignatureError with the reason. ``headers`` is any mapping (case-insensitive lookup),
    e.g. ``frappe.request.headers``; pass ``frappe.request.get_data()`` as the body.
    """
    msg_id = header(headers, "webhook-id")
    timestamp = header(headers, "webhook-timestamp")
    signature = header(headers, "webhook-signature")
    if not msg_id or not timestamp or not signature:
        raise SignatureError("missing-headers")
    if not _TIMESTAMP.match(timestamp):
        raise SignatureError("invalid-timestamp")
    current = time.time() if now is None else now
    sent_at = int(timestamp)
    if current - sent_at > tolerance_s:
        raise SignatureError("timestamp-too-old")
    if sent_at - current > tolerance_s:
        raise SignatureError("timestamp-too-new")
    content = _content(msg_id, timestamp, body)
    expected = [hmac.new(_key(s), content, hashlib.sha256).digest() for s in _secrets(secrets)]
    for candidate in signature.split(" "):
        if not candidate.startswith("v1,"):
            continue  # other schemes (v1a, ...) are not ours to check
        try:
            mac = base64.b64decode(candidate[3:], validate=True)
        except (binascii.Error, ValueError):
            continue
        if any(hmac.compare_digest(mac, e) for e in expected):
            return True
    raise SignatureError("no-matching-signature")


def verify_webhook(
    headers: Any,
    body: Union[str, bytes],
    secret: Union[str, Iterable[str]],
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: Optional[float] = None,
) -> dict:
    """Verifies a webhook Switchyard delivered (a completion event or an alert notice) and returns
    it as ``{"id", "type", "timestamp", "data"}``. ``secret`` is the subscription's (or alert
    channel's) ``whsec_`` signing secret, ``body`` the raw request body exactly as received.
    ``id`` is the ``webhook-id``: every attempt of one delivery carries the same, so drop an id
    you have already handled. Raises SignatureError (see ``verify_signature``) when it does not verify.
    """
    verify_signature(headers, body, secret, tolerance_s=tolerance_s, now=now)
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    try:
        event = json.loads(text)
    except ValueError as e:
        raise SignatureError("invalid-body") from e
    if not isinstance(event, dict):
        raise SignatureError("invalid-body")
    return {
        "id": header(headers, "webhook-id"),
        "type": event.get("type"),
        "timestamp": event.get("timestamp"),
        "data": event.get("data") or {},
    }
