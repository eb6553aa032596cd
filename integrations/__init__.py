"""Connectors that service tasks call by name (agency systems, the national DVC portal, post).

A BPMN service task names its operation "<connector>/<operation>" (e.g. "dvc/sync_dossier");
`Connectors.call` POSTs its parameters as JSON to "<base_url>/<connector>/<operation>" and returns
the remote's JSON answer. Every call carries an Idempotency-Key, so a call retried after a timeout,
a dropped connection or a 5xx has its side effect only once on the remote side.
`ConnectorError.retryable` says whether retrying is worth it; the retrying belongs to the caller.

Each connector may have a contract (integrations/contracts/, `integrations.contracts`): its
operations with JSON Schemas for their parameters and results, checked at deploy and on each call.

Dependencies: the standard library, requests and jsonschema only. Configuration: environment variables (see
`load_config`). `integrations.simulator` plays the remote systems for tests and demos.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

__all__ = ["ConnectorConfig", "ConnectorError", "Connectors", "UnknownConnector", "load_config"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_OPERATION = re.compile(r"([a-z][a-z0-9_]*)/([A-Za-z_][A-Za-z0-9_-]*)")
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, no spaces: safe in a header
_RETRYABLE_STATUS = frozenset({408, 425, 429})
_MAX_ERROR_TEXT = 300


class ConnectorError(Exception):
    """A call failed.

    `retryable` says whether trying again (with the same idempotency key) may succeed: true for
    timeouts, connection errors and HTTP 408/425/429/5xx; false for other 4xx, an unknown connector
    or operation, bad parameters. `status` is the HTTP status, or None when there was no answer.
    """

    def __init__(self, message: str, *, retryable: bool, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class UnknownConnector(ConnectorError):
    """The operation names a connector that is not configured (never retryable)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class ConnectorConfig:
    """Where a connector lives and how to call it. The token is sent as "Authorization: Bearer"."""

    name: str
    base_url: str
    timeout: float = 10.0
    headers: dict = field(default_factory=dict)
    token: str | None = field(default=None, repr=False)
    # This environment's retry policy (MOTCUA_CONNECTOR_<NAME>_ATTEMPTS / _BACKOFF): over the
    # contract's, under the model's own `spiffworkflow:retry`; None: not set here.
    attempts: int | None = None
    backoff: float | None = None


def load_config(environ: Mapping[str, str]) -> dict[str, ConnectorConfig]:
    """Read connectors from the environment; raise ValueError on any malformed entry.

    MOTCUA_CONNECTORS="dvc=http://127.0.0.1:8081,post=http://127.0.0.1:8082" names the connectors
    (lower-case names: letters, digits, "_"); for each, MOTCUA_CONNECTOR_<NAME>_TOKEN (a bearer
    token), MOTCUA_CONNECTOR_<NAME>_TIMEOUT (seconds), _ATTEMPTS (1-20) and _BACKOFF (seconds
    before the first retry, doubling) are optional.
    """
    configs: dict[str, ConnectorConfig] = {}
    for entry in environ.get("MOTCUA_CONNECTORS", "").split(","):
        if not entry.strip():
            continue
        name, sep, url = (part.strip() for part in entry.partition("="))
        if not sep or not _NAME.fullmatch(name):
            raise ValueError(
                f"MOTCUA_CONNECTORS: expected name=url with a lower-case name, got {entry.strip()!r}"
            )
        if name in configs:
            raise ValueError(f"MOTCUA_CONNECTORS: connector {name!r} is given twice")
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise ValueError(
                f"MOTCUA_CONNECTORS: {name!r}: put credentials in the _TOKEN variable, not the URL"
            )
        try:
            parts.port  # noqa: B018  (raises on a malformed port)
        except ValueError:
            parts = parts._replace(scheme="")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"MOTCUA_CONNECTORS: {name!r} needs an http(s) base URL, got {url!r}")
        prefix = f"MOTCUA_CONNECTOR_{name.upper()}_"
        timeout = 10.0
        if raw := environ.get(prefix + "TIMEOUT", "").strip():
            try:
                timeout = float(raw)
            except ValueError:
                timeout = math.nan
            if not (math.isfinite(timeout) and timeout > 0):
                raise ValueError(f"{prefix}TIMEOUT must be a positive number of seconds, got {raw!r}")
        token = environ.get(prefix + "TOKEN", "").strip() or None
        attempts = backoff = None
        if raw := environ.get(prefix + "ATTEMPTS", "").strip():
            if not raw.isdigit() or not 1 <= int(raw) <= 20:
                raise ValueError(f"{prefix}ATTEMPTS must be a whole number from 1 to 20, got {raw!r}")
            attempts = int(raw)
        if raw := environ.get(prefix + "BACKOFF", "").strip():
            try:
                backoff = float(raw)
            except ValueError:
                backoff = math.nan
            if not (math.isfinite(backoff) and 0 <= backoff <= 3600):
                raise ValueError(f"{prefix}BACKOFF must be 0 to 3600 seconds, got {raw!r}")
        configs[name] = ConnectorConfig(
            name, url.rstrip("/"), timeout=timeout, token=token, attempts=attempts, backoff=backoff
        )
    return configs


class _Bearer(AuthBase):
    """Sets the bearer token (as auth, so that no .netrc entry can replace it)."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class Connectors:
    """The configured connectors, called by operation name. Safe to share between threads."""

    def __init__(
        self,
        configs: dict[str, ConnectorConfig],
        session: requests.Session | None = None,
        contracts: dict | None = None,
    ):
        """`contracts` (integrations.contracts.load()) checks each call's parameters before it is
        sent and its answer after; a connector without a contract is called as it is."""
        self.configs = dict(configs)
        self.contracts = dict(contracts or {})
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=max(len(self.configs), 1), pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Connectors:
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def call(self, operation: str, params: dict, *, idempotency_key: str) -> dict:
        """POST {"params": params} to <base_url>/<connector>/<operation>; return the remote's JSON object.

        A JSON answer that is not an object comes back as {"result": value}. Raises ConnectorError
        (or UnknownConnector) with a message naming the connector, operation and status.
        """
        match = _OPERATION.fullmatch(operation) if isinstance(operation, str) else None
        if match is None:
            raise _refused(f"malformed operation {operation!r}: expected '<connector>/<operation>'")
        name, op = match.groups()
        if (config := self.configs.get(name)) is None:
            known = ", ".join(sorted(self.configs)) or "none"
            raise UnknownConnector(f"unknown connector {name!r} in {operation!r} (configured: {known})")
        if not isinstance(idempotency_key, str) or not _KEY.fullmatch(idempotency_key):
            raise _refused(f"{operation}: the idempotency key must be 1-255 visible ASCII characters")
        if not isinstance(params, Mapping):
            raise _refused(f"{operation}: params must be a JSON object, not {type(params).__name__}")
        contract = self.contracts.get(name)
        offered = contract.operations.get(op) if contract is not None else None
        if contract is not None and offered is None:
            raise _refused(f"{operation}: the contract of {name!r} offers no operation {op!r}")
        if offered is not None and (problems := offered.param_problems(dict(params))):
            raise _refused(f"{operation}: the parameters do not fit the contract: {'; '.join(problems)}")
        try:
            body = json.dumps({"params": params}, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise _refused(f"{operation}: params are not JSON-serializable: {exc}") from exc

        headers = {
            **config.headers,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key,
        }
        where = f"connector {name!r} operation {op!r}"
        try:
            response = self.session.post(
                f"{config.base_url}/{operation}",
                data=body,
                headers=headers,
                auth=_Bearer(config.token) if config.token else None,
                timeout=config.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise ConnectorError(f"{where}: no answer within {config.timeout:g}s", retryable=True) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ConnectorError(
                f"{where}: connection failed: {_clip(str(exc), config)}", retryable=True
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"{where}: {_clip(str(exc), config)}", retryable=False) from exc

        status = response.status_code
        if 200 <= status < 300:
            if not response.content.strip():
                return {}
            try:
                value = response.json()
            except ValueError as exc:
                text = _error_text(response, config)
                raise ConnectorError(
                    f"{where}: HTTP {status} but not JSON: {text}", retryable=False, status=status
                ) from exc
            answer = value if isinstance(value, dict) else {"result": value}
            if offered is not None and (problems := offered.result_problems(answer)):
                raise ConnectorError(
                    f"{where}: the answer does not fit the contract: {'; '.join(problems)}",
                    retryable=False,
                    status=status,
                )
            return answer
        retryable = status in _RETRYABLE_STATUS or status >= 500
        detail = _error_text(response, config)
        if 300 <= status < 400:
            detail = f"redirect to {response.headers.get('Location', '?')!r} not followed"
        raise ConnectorError(f"{where}: HTTP {status}: {detail}", retryable=retryable, status=status)


def _refused(message: str) -> ConnectorError:
    return ConnectorError(message, retryable=False)


def _error_text(response: requests.Response, config: ConnectorConfig) -> str:
    """The remote's error message: the "error" (or "message") of a JSON body, else its text."""
    text = response.text
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data.get("message", data))
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error = error["message"]
        text = error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)
    return _clip(text, config) or response.reason or "(no text)"


def _clip(text: str, config: ConnectorConfig) -> str:
    """The text on one line, without the token, cut to about 300 characters."""
    if config.token:
        text = text.replace(config.token, "***")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"
