"""Who sent a callback: the remote system that holds the shared secret (HMAC-SHA256 of the body in
X-Motcua-Signature, the signature Motcua's own webhooks carry: integrations/webhooks.py).

`signed(setting)` decorates a view above its `@blp.arguments`, so an unsigned or wrongly signed
request is refused (401) before its body is parsed; identity.auth lets these endpoints through
without a token (`SIGNED_ENDPOINTS`), the signature being their authentication.
"""

from __future__ import annotations

import functools

from flask import current_app, request

from integrations.codes import SIGNATURE_HEADER
from integrations.webhooks import verify

from ..errors import Unauthorized


def signed(setting: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            secret = current_app.config.get(setting) or ""
            if not secret:
                raise Unauthorized(f"This callback is not configured ({setting}); nothing is accepted.")
            if not verify(secret, request.get_data(cache=True), request.headers.get(SIGNATURE_HEADER)):
                raise Unauthorized(f"The {SIGNATURE_HEADER} header does not sign this body.")
            return view(*args, **kwargs)

        return wrapper

    return decorate
