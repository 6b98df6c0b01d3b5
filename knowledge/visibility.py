"""Atomic visibility of document versions: a hidden-set swapped under readers (RCU style).

Qdrant applies a multi-point write point by point, so a search running during a write can
see part of it. Instead of relying on the store, every search filters out the point
generations listed in an in-memory hidden set, taken as one immutable snapshot when the
search starts. Replacing a document version is then:

1. hide the new generation's key, then write its points (nobody can see them yet);
2. in one assignment, unhide the new key and hide the old one: every search that starts
   afterwards sees exactly the new version, every earlier one exactly the old version;
3. wait until the searches that started before step 2 have finished, then delete the old
   points and drop the old key from the hidden set.

So there is no moment where a search sees both versions or neither.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class VisibilityGate:
    """Hold the set of hidden generation keys and track searches per epoch."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._hidden: frozenset[str] = frozenset()
        self._epoch = 0
        self._readers: Counter[int] = Counter()

    @property
    def hidden(self) -> frozenset[str]:
        """Return the current hidden keys."""
        return self._hidden

    @contextmanager
    def reading(self) -> Iterator[frozenset[str]]:
        """Yield the hidden-key snapshot a search must filter out, for the search's duration."""
        with self._cond:
            epoch = self._epoch
            hidden = self._hidden
            self._readers[epoch] += 1
        try:
            yield hidden
        finally:
            with self._cond:
                self._readers[epoch] -= 1
                if self._readers[epoch] <= 0:
                    del self._readers[epoch]
                self._cond.notify_all()

    def change(self, *, hide: Iterable[str] = (), show: Iterable[str] = ()) -> int:
        """Hide and show keys in one step; return the new epoch."""
        with self._cond:
            self._hidden = (self._hidden - frozenset(show)) | frozenset(hide)
            self._epoch += 1
            return self._epoch

    def wait_for_readers_before(self, epoch: int, timeout: float = 60.0) -> bool:
        """Block until no search that started before ``epoch`` is still running."""
        with self._cond:
            return self._cond.wait_for(
                lambda: all(e >= epoch for e in self._readers), timeout=timeout
            )
