"""Sending one webhook delivery over HTTP: the body signed with the subscription's secret.

Headers: `X-Motcua-Event` (the event type), `X-Motcua-Delivery` (the delivery's id, the same on
every attempt, so a receiver can drop duplicates) and `X-Motcua-Signature: sha256=<hex>`, the
HMAC-SHA256 of the raw body with the secret (GitHub's convention). A receiver recomputes it over
the bytes it received and compares in constant time (`verify`).

Destinations are checked before each attempt: http or https only, no credentials in the URL, and
no loopback, private, link-local or otherwise reserved address unless the operator allowed them
(MOTCUA_WEBHOOK_ALLOW_PRIVATE, for receivers on the same network). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

SIGNATURE = "X-Motcua-Signature"
EVENT = "X-Motcua-Event"
DELIVERY = "X-Motcua-Delivery"
USER_AGENT = "Motcua-Webhooks/1"


class DestinationRefused(ValueError):
    """The URL may not receive webhooks (scheme, credentials or address)."""


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status (None when there was no answer) and an error."""

    delivered: bool
    status: int | None
    error: str | None


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` (the X-Motcua-Signature header) signs `body` with `secret`."""
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)


def check_url(url: str) -> None:
    """The URL's form: http(s), a host, no user or password."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("A webhook URL is http:// or https:// with a host name.")
    if parts.username or parts.password:
        raise DestinationRefused("A webhook URL carries no user name or password: use the secret.")


def check_subscription(url: str, *, allow_private: bool) -> None:
    """What can be told when a URL is subscribed: its form and, unless allowed, that it does not
    name an internal address literally (an IP or localhost). A host name is resolved and checked
    at every delivery (check_destination), since its addresses can change."""
    check_url(url)
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        raise DestinationRefused(f"The host {host} is internal: webhooks go to public addresses.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address.is_global:
        raise DestinationRefused(
            f"{address} is an internal address: webhooks go to public addresses unless"
            " MOTCUA_WEBHOOK_ALLOW_PRIVATE is set."
        )


def check_destination(url: str, *, allow_private: bool) -> None:
    """The URL's form, and (unless allowed) that none of its host's addresses is internal."""
    check_url(url)
    if allow_private:
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DestinationRefused(f"The host {parts.hostname} cannot be resolved: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DestinationRefused(
                f"The host {parts.hostname} is at an internal address ({address}): webhooks go to"
                " public addresses unless MOTCUA_WEBHOOK_ALLOW_PRIVATE is set."
            )


def send(
    url: str, *, secret: str, event: str, delivery: str, body: bytes, timeout: float, allow_private: bool
) -> Outcome:
    """One attempt: 2xx is delivered; anything else (an answer, a timeout, a refusal) is not."""
    try:
        check_destination(url, allow_private=allow_private)
    except DestinationRefused as exc:
        return Outcome(False, None, str(exc))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT: event,
        DELIVERY: delivery,
        SIGNATURE: sign(secret, body),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:2000])
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None)
    return Outcome(False, response.status_code, f"HTTP {response.status_code}: {response.text[:500]}")
