"""Refusing repeated password guesses: per username and client address, kept in memory with a lock.

After MAX_FAILURES failures within WINDOW seconds, logins for that username from that address are
refused for BLOCK seconds, whatever the password (so a blocked guesser learns nothing). A success
forgets the failures. The same holds for the current password asked by a password change. Every
way in is guarded: the login page, POST /api/v1/auth/login, the account page and
POST /api/v1/auth/password (one throttle per process, `for_app`). The counters live in the
process: with several server processes each counts on its own, and a restart forgets them.
Memory is bounded: past MAX_KEYS entries, expired ones are dropped, then the oldest.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from ..errors import TooManyRequests

MAX_FAILURES = 5
WINDOW = 10 * 60.0
BLOCK = 10 * 60.0
MAX_KEYS = 10_000


@dataclass
class _Entry:
    failures: deque = field(default_factory=deque)
    blocked_until: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
        block: float = BLOCK,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures, self.window, self.block, self.max_keys = max_failures, window, block, max_keys
        self.clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, address: str | None) -> tuple[str, str]:
        return (username.strip().casefold()[:256], address or "")

    def blocked_for(self, key: tuple[str, str]) -> float:
        """Seconds until this username and address may try again (0 when they may now)."""
        with self._lock:
            entry = self._entries.get(key)
            return max(0.0, entry.blocked_until - self.clock()) if entry else 0.0

    def failure(self, key: tuple[str, str]) -> float:
        """Count a failed login; returns the seconds of the block it starts (0 when none)."""
        now = self.clock()
        with self._lock:
            entry = self._entries.pop(key, None) or _Entry()
            self._entries[key] = entry  # re-inserted: the dict stays ordered by last failure
            while entry.failures and entry.failures[0] <= now - self.window:
                entry.failures.popleft()
            entry.failures.append(now)
            if len(entry.failures) >= self.max_failures:
                entry.failures.clear()
                entry.blocked_until = now + self.block
            self._bound(now)
            return max(0.0, entry.blocked_until - now)

    def success(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _bound(self, now: float) -> None:
        if len(self._entries) <= self.max_keys:
            return
        for key in [
            k
            for k, e in self._entries.items()
            if e.blocked_until <= now and (not e.failures or e.failures[-1] <= now - self.window)
        ]:
            del self._entries[key]
        while len(self._entries) > self.max_keys:
            del self._entries[next(iter(self._entries))]


EXTENSION = "motcua.login_throttle"
LOGIN, PASSWORD = "login", "password"


def for_app() -> LoginThrottle:
    """This process's throttle (made on first use)."""
    return current_app.extensions.setdefault(EXTENSION, LoginThrottle())


def key(kind: str, username: str, address: str | None) -> tuple[str, str]:
    """The counter of one kind of guess (LOGIN or PASSWORD) by one username from one address."""
    name, where = LoginThrottle.key(username, address)
    return (f"{kind}:{name}", where)


def refuse_if_blocked(counter: tuple[str, str]) -> None:
    """429 Too Many Requests (with Retry-After) while this counter is blocked."""
    wait = for_app().blocked_for(counter)
    if wait:
        raise TooManyRequests(
            "Too many wrong passwords: try again later.",
            retry_after=wait,
            details={"retry_after": round(wait)},
        )


def failed(counter: tuple[str, str]) -> None:
    """Count a wrong password; 429 when it starts a block."""
    for_app().failure(counter)
    refuse_if_blocked(counter)
