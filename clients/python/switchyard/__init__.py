"""Switchyard for Python and Frappe apps: enqueue and wait on tasks, and be a remote method.

Standard library only. ``Client`` talks to Switchyard's task API; ``Callback`` and
``verify_signature`` are for the remote side, a method Switchyard calls; ``verify_webhook`` is for
receivers of completion webhooks and alert notices.
"""

from .callback import Callback
from .client import STATUSES, Client, is_ended, poll_delays
from .errors import RateLimitedError, SignatureError, StaleAttemptError, SwitchyardError
from .signing import sign, verify_signature, verify_webhook

__all__ = [
    "STATUSES",
    "Callback",
    "Client",
    "RateLimitedError",
    "SignatureError",
    "StaleAttemptError",
    "SwitchyardError",
    "is_ended",
    "poll_delays",
    "sign",
    "verify_signature",
    "verify_webhook",
]
__version__ = "0.1.0"
