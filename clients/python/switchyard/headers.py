"""Case-insensitive header lookup over whatever a framework hands you."""

from __future__ import annotations

from typing import Any, Optional


def header(headers: Any, name: str) -> Optional[str]:
    """The value of header ``name`` in ``headers``, or None.

    Accepts ``frappe.request.headers`` / werkzeug Headers, ``http.client`` messages, plain dicts
    with any key case, lists of ``(name, value)`` pairs, and WSGI environs (``HTTP_X_...`` keys).
    """
    if headers is None:
        return None
    wanted = name.lower()
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        if isinstance(key, str) and key.lower() == wanted:
            return str(value)
    if hasattr(headers, "get"):
        environ_key = "HTTP_" + name.upper().replace("-", "_")
        value = headers.get(environ_key)
        if value is not None:
            return str(value)
    return None
