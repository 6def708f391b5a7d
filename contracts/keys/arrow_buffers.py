"""Zero-copy views of an Arrow string column's buffers as NumPy arrays.

The vectorised key checks work on raw bytes: the validity bitmap as a mask, the offsets,
and the data buffer as rows of a fixed width. Arrow's compute kernels have no "view these
strings as an (n, 18) byte matrix" operation, so this is written by hand, once, here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Bytes = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
Offsets = npt.NDArray[np.int32] | npt.NDArray[np.int64]


def present(values: pa.Array) -> Mask:
    if values.null_count == 0:
        return np.ones(len(values), dtype=np.bool_)
    first, skip = divmod(values.offset, 8)  # a slice shares its parent's bitmap
    bitmap = np.frombuffer(values.buffers()[0], dtype=np.uint8)[first:]
    bits = np.unpackbits(bitmap, count=skip + len(values), bitorder="little")
    return bits[skip:].view(np.bool_)


def offsets(values: pa.Array) -> Offsets:
    buffer = values.buffers()[1]
    found: Offsets = (
        np.frombuffer(buffer, dtype=np.int64)
        if pa.types.is_large_string(values.type)
        else np.frombuffer(buffer, dtype=np.int32)
    )
    return found[values.offset : values.offset + len(values) + 1]


def byte_lengths(values: pa.Array) -> Offsets:
    return np.diff(offsets(values))


def data_bytes(values: pa.Array) -> Bytes:
    buffer = values.buffers()[2]
    return np.empty(0, dtype=np.uint8) if buffer is None else np.frombuffer(buffer, np.uint8)


def gather_rows(values: pa.Array, rows: Mask | None, width: int) -> Bytes:
    """An (n, width) byte matrix: row i is value i where ``rows`` is set (None: all rows,
    which must then all be ``width`` bytes long), junk elsewhere.

    Indexes a view of the data buffer that has a ``width``-byte item starting at every
    byte, so one fancy-indexing call copies each row; cheaper than filtering the values
    with Arrow and scattering them back.
    """
    data = data_bytes(values)
    selected = np.ones(len(values), dtype=np.bool_) if rows is None else rows
    if data.size < width or not selected.any():
        return np.zeros((len(values), width), dtype=np.uint8)
    windows = np.ndarray((data.size - width + 1,), dtype=f"V{width}", buffer=data, strides=(1,))
    starts = np.where(selected, offsets(values)[:-1], 0)
    return windows[starts].view(np.uint8).reshape(-1, width)
