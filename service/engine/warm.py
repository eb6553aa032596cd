"""Workflows kept warm between steps: the object a step left behind, found again by its state.

Restoring a workflow from its stored state is most of what a step costs on a larger model (a
dossier's: its subprocesses, boundary events and data). A step ends by dumping its workflow; the
object that produced that exact string is, by construction, what restoring the string would give.
So the engine keeps the last few such objects keyed by the state string itself, and the next command
given the same string (the next step of the instance, in this process) takes the object instead of
restoring it. Whatever changed the stored state elsewhere (another process's step, a rollback of
this one) changed the string, so it simply misses; the key is the whole state, never an id or a
version that could be reused.

A workflow taken is removed (a command mutates it); a command that fails before its step ends
leaves nothing behind, and the next one restores from the string as before. Bounded LRU, shared
by the threads of a process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

DEFAULT_SIZE = 128


class WarmStates:
    """A bounded LRU of workflow objects by the state string they dumped, per compiled spec."""

    def __init__(self, size: int = DEFAULT_SIZE):
        self._size = size
        self._items: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, state: str, spec: Any) -> Any | None:
        """The workflow that dumped `state` on `spec` (removed from the cache), or None."""
        with self._lock:
            found = self._items.pop(state, None)
        if found is None or found[0] is not spec:
            return None
        return found[1]

    def put(self, state: str, spec: Any, workflow: Any) -> None:
        """Keep `workflow`, which has just dumped `state`, for the next command on that state."""
        if self._size <= 0:
            return
        with self._lock:
            self._items[state] = (spec, workflow)
            self._items.move_to_end(state)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
