"""An entry's data grade: the most protected classification among its data items.

Personal information is graded item by item (public, personal, sensitive: sensitive items are
masked unless a grant names them), and a resource is as sensitive as its most sensitive item,
so a steward who looks for "resources holding sensitive items" filters on this grade rather
than opening every entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from directory.model import Classification

# From least to most protected.
ORDER = (Classification.public, Classification.personal, Classification.sensitive)


def data_grade(classifications: Iterable[str | Classification]) -> Classification:
    """The highest grade of the items (public for an entry without items)."""
    ranks = [ORDER.index(Classification(c)) for c in classifications]
    return ORDER[max(ranks, default=0)]
