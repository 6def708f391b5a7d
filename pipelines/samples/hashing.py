"""Random numbers addressed by (seed, stream, row index) rather than drawn in sequence.

Feeds cross-reference each other: an enterprise's legal representative, an employee's
employer, a case's applicant are all "some other generated row". If attributes were drawn
from a sequential generator, looking up person 7,345,112 would mean regenerating the
7 million persons before it, or holding them all in memory. Making every attribute a pure
function of its index (a SplitMix64 hash, a few vectorised integer operations) lets any
feed compute any row's attributes on demand, in any order, identically on every run.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1


def _mix(x: U64) -> U64:
    """SplitMix64 finaliser, in place: every input bit affects every output bit."""
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def _mix_int(value: int) -> int:
    value &= _MASK
    value ^= value >> 30
    value = (value * 0xBF58476D1CE4E5B9) & _MASK
    value ^= value >> 27
    value = (value * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


class IndexRandom:
    """One independent random stream per (seed, stream name), indexed by row number.

    Stream names are hashed with CRC-32 (not Python's salted `hash`) so that streams are the
    same in every process and on every machine.
    """

    def __init__(self, seed: int, stream: str) -> None:
        key = _mix_int(_mix_int(seed) ^ zlib.crc32(stream.encode()))
        self._key = np.uint64(key)
        self._second_key = np.uint64(_mix_int(key + 1))  # for the second uniform of `normal`

    def bits(self, index: npt.ArrayLike) -> U64:
        return self._bits(index, self._key)

    def _bits(self, index: npt.ArrayLike, key: np.uint64) -> U64:
        x = np.asarray(index, dtype=np.int64).astype(np.uint64)
        x *= _GOLDEN
        x += key
        return _mix(x)

    def uniform(self, index: npt.ArrayLike) -> F64:
        """Uniform floats in [0, 1)."""
        return _unit(self.bits(index))

    def normal(self, index: npt.ArrayLike) -> F64:
        """Standard normal floats (Box-Muller)."""
        radius = np.sqrt(-2.0 * np.log(1.0 - self.uniform(index)))
        return radius * np.cos(2 * np.pi * _unit(self._bits(index, self._second_key)))

    def below(self, index: npt.ArrayLike, high: npt.ArrayLike) -> I64:
        """Uniform integers in [0, high); `high` may vary per row."""
        scaled = self.uniform(index) * np.asarray(high, dtype=np.float64)
        return np.minimum(scaled.astype(np.int64), np.asarray(high, dtype=np.int64) - 1)

    def pick(self, index: npt.ArrayLike, cumulative: F64) -> I64:
        """Weighted choice: positions into `cumulative`, a normalised cumulative weight table."""
        return np.searchsorted(cumulative, self.uniform(index), side="right").astype(np.int64)


def _unit(bits: U64) -> F64:
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def cumulative(weights: npt.ArrayLike) -> F64:
    """Normalised cumulative weights for :meth:`IndexRandom.pick`."""
    table = np.cumsum(np.asarray(weights, dtype=np.float64))
    table /= table[-1]
    table[-1] = 1.0 + 1e-12  # a uniform draw of exactly 1 - eps still lands in the last bin
    return table
