"""The principals of bearer tokens, kept per process while PostgreSQL says nothing they depend on
changed.

Every API request presents a token; reading its principal (user, unit, groups, the token's scopes)
is one statement, a round trip and about 0.4 ms of a request's CPU. On PostgreSQL a process keeps
each token's principal and reads it again only after a change: triggers on the tables a principal
is made of (users, api_tokens, user_groups, groups, org_units; migration 0035) send a NOTIFY on the
channel `motcua_identity` in the writing transaction, whatever wrote it (the service, another
process, a command, psql), and PostgreSQL delivers it when that transaction commits. A thread of
the process LISTENs on its own connection and forgets every kept principal when one arrives.

What is kept is used only while the listener is connected: the cache starts empty and unusable,
goes live once LISTEN is in place, and forgets everything and stops serving as soon as the
listening connection fails (every request then reads its principal, as without the cache) until
a new connection listens again. A principal read while a change was being delivered is not kept
(each entry carries the generation it was read under; a notification moves the generation). A
token's expiry is checked against the clock at every use. The process that writes a change forgets
at its own commit, before it answers (operations.principals_changed, said by every write of those
rows through the session). So a revocation, a deactivation or a change of groups takes effect at
once in the process that made it and on every other within the notification's delivery
(milliseconds), not at the end of a time-to-live. SQLite has no notifications: there the principal is read at
every request. MOTCUA_PRINCIPAL_CACHE=false turns the cache off.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg

CHANNEL = "motcua_identity"
MAX_ENTRIES = 10_000  # tokens kept at once per process (all are forgotten when it fills)
_RETRY_SECONDS = (0.5, 1, 2, 5, 10)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    """A token's principal as read, with what is checked at each use without the database."""

    principal: Any  # identity.operations.Principal
    expires_at: datetime | None
    last_used_at: datetime | None
    generation: int


class PrincipalCache:
    """Kept principals by token hash, valid under one generation while the listener is live."""

    def __init__(self, connect_args: tuple[tuple, dict] | None):
        self._connect_args = connect_args
        self._lock = threading.Lock()
        self._entries: dict[str, Kept] = {}
        self._generation = 0
        self._live = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._connection: psycopg.Connection | None = None
        self.delivered = ""  # the last notification's payload (the triggers send none; tests do)
        self.retry_seconds = _RETRY_SECONDS  # the waits before listening again after a failure

    # --- what requests use ---

    def generation(self) -> int | None:
        """The generation a principal read now is kept under (None: nothing may be kept now)."""
        self._ensure_listening()
        return self._generation if self._live else None

    def get(self, token_hash: str, now: datetime) -> Kept | None:
        self._ensure_listening()
        kept = self._entries.get(token_hash)
        if kept is None or not self._live or kept.generation != self._generation:
            return None
        if kept.expires_at is not None and kept.expires_at <= now:
            return None
        return kept

    def put(self, token_hash: str, kept: Kept) -> None:
        """Keep what was read under kept.generation, unless a change arrived since."""
        with self._lock:
            if not self._live or kept.generation != self._generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_hash] = kept

    def used(self, token_hash: str, kept: Kept, at: datetime) -> None:
        """The token's last use was recorded at `at` (the entry stays under its generation)."""
        self.put(token_hash, replace(kept, last_used_at=at))

    # --- the listener ---

    @property
    def live(self) -> bool:
        return self._live

    def forget(self) -> None:
        """Something a principal depends on changed: nothing kept so far may be used."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _went(self, live: bool) -> None:
        with self._lock:
            self._live = live
            self._generation += 1
            self._entries.clear()

    def _ensure_listening(self) -> None:
        """Start the listener in this process (again after a fork: threads do not survive one)."""
        if self._pid == os.getpid() or self._connect_args is None:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._live = False
            self._entries.clear()
            self._stopped.clear()
            self._thread = threading.Thread(target=self._listen, name="motcua-principals", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        args, kwargs = self._connect_args  # type: ignore[misc]
        failures = 0
        while not self._stopped.is_set():
            try:
                with psycopg.connect(*args, **{**kwargs, "autocommit": True}) as connection:
                    self._connection = connection
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._went(live=True)
                    if failures:
                        log.info(
                            "principal cache: listening on %s again after %d failures", CHANNEL, failures
                        )
                    failures = 0
                    while not self._stopped.is_set():
                        # wakes at least every second to see whether it should stop
                        for notification in connection.notifies(timeout=1):
                            self.forget()
                            self.delivered = notification.payload
            except Exception as error:
                if not self._stopped.is_set():
                    # one warning per outage (its first failure), not one per retry
                    log.log(
                        logging.WARNING if failures == 0 else logging.DEBUG,
                        "principal cache: listening on %s failed (%s); reading every time",
                        CHANNEL,
                        error,
                    )
            finally:
                self._connection = None
                self._went(live=False)
            failures += 1
            self._stopped.wait(self.retry_seconds[min(failures, len(self.retry_seconds)) - 1])

    def listener_pid(self) -> int | None:
        """The PostgreSQL backend of the listening connection (tests end it to see the cache stop)."""
        connection = self._connection
        return connection.info.backend_pid if connection is not None else None

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(10)
        self._went(live=False)
