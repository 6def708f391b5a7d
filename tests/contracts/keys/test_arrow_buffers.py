"""The byte views agree with what Arrow itself says about the same column, slices included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from contracts.keys import arrow_buffers as buffers

VALUES = ["110101", None, "ab", "", "310115", None, "xyz123", "4403"]


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize(("offset", "length"), [(0, 8), (1, 6), (3, 4), (7, 1)])
def test_views_match_arrow(large: bool, offset: int, length: int) -> None:
    column = pa.array(VALUES, pa.large_string() if large else pa.string()).slice(offset, length)
    expected = VALUES[offset : offset + length]

    assert buffers.present(column).tolist() == [v is not None for v in expected]
    assert buffers.byte_lengths(column).tolist() == [len(v or "") for v in expected]


def test_gather_rows_copies_the_selected_rows_of_the_given_width() -> None:
    column = pa.array(["110101", "ab", "310115", None]).slice(0, 4)
    wanted = np.array([True, False, True, False])

    rows = buffers.gather_rows(column, wanted, 6)

    assert rows.shape == (4, 6)
    assert bytes(rows[0]) == b"110101"
    assert bytes(rows[2]) == b"310115"


def test_gather_rows_of_an_empty_selection_is_zeros() -> None:
    rows = buffers.gather_rows(pa.array(["ab", None]), np.zeros(2, dtype=np.bool_), 6)

    assert rows.shape == (2, 6)
    assert not rows.any()
