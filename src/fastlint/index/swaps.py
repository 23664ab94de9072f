"""libcst methods replaced for the length of one call: the index's two speed-ups that
libcst's API has no switch for (see ``index_source`` and ``positions.positions_of``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# One swap at a time: two overlapping swaps could each restore the other's replacement
# for good. Never nested: parsing and the position pass run one after the other.
_ONE_AT_A_TIME = threading.Lock()


@contextmanager
def swapped_methods(*swaps: tuple[type, str, Any]) -> Iterator[None]:
    """Set each ``owner.name`` (defined on ``owner`` itself) to its replacement while the
    block runs, and back when it ends, exceptions included.

    The change is process-wide: swaps take turns, and code another thread runs with libcst
    meanwhile goes through the replacements. fastlint indexes on one thread per process; a
    host that also uses libcst on other threads should not index concurrently with them.
    """
    with _ONE_AT_A_TIME:
        saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in swaps]
        try:
            for owner, name, replacement in swaps:
                setattr(owner, name, replacement)
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)
