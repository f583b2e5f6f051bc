"""The key filter: "surely not a customer we know" for a million keys in a few megabytes.

Matching looks a row's id, phone and e-mail up among the stored customers and the rows
read so far. Most rows of a big file are new, or only an id away from their customer;
these sets answer "not there" without a query, and keep memory flat whatever the size of
the file or the shop: an exact set up to `Keys.EXACT_KEYS` keys, a Bloom filter past it.
"""

from __future__ import annotations


class KeyFilter:
    """A Bloom filter of keys (`r:ref`, `p:phone`, `e:email`): "surely not there" in
    a fraction of a microsecond and 8 MB, so a million stored customers are looked up in the
    database only when they may match, instead of all being held in memory."""

    def __init__(self, bits: int = 1 << 26) -> None:
        self.size = bits
        self.bits = bytearray(bits >> 3)

    def add(self, key: str) -> None:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        c, d = (a + b) % size, (a + 2 * b) % size
        bits[a >> 3] |= 1 << (a & 7)
        bits[c >> 3] |= 1 << (c & 7)
        bits[d >> 3] |= 1 << (d & 7)

    def check_add(self, key: str) -> bool:
        """`key in self`, then `add(key)`: one hashing for a key about to be added anyway."""
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        c, d = (a + b) % size, (a + 2 * b) % size
        at_a, bit_a = a >> 3, 1 << (a & 7)
        at_c, bit_c = c >> 3, 1 << (c & 7)
        at_d, bit_d = d >> 3, 1 << (d & 7)
        seen = bits[at_a] & bit_a and bits[at_c] & bit_c and bits[at_d] & bit_d
        bits[at_a] |= bit_a
        bits[at_c] |= bit_c
        bits[at_d] |= bit_d
        return bool(seen)

    def __contains__(self, key: str) -> bool:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        if not bits[a >> 3] & (1 << (a & 7)):
            return False
        c, d = (a + b) % size, (a + 2 * b) % size
        return bool(bits[c >> 3] & (1 << (c & 7)) and bits[d >> 3] & (1 << (d & 7)))


class Keys:
    """Keys (of the stored customers, or of the rows read so far): an exact set (a tenth of a
    microsecond a look) until it holds EXACT_KEYS of them, then a Bloom filter, so a shop or
    a file of a million still fits in a small, flat amount of memory."""

    EXACT_KEYS = 250_000  # about 25 MB of keys

    def __init__(self) -> None:
        self.exact: set[str] | None = set()
        self.filter: KeyFilter | None = None

    def add(self, key: str) -> None:
        self.check_add(key)

    def __contains__(self, key: str) -> bool:
        exact = self.exact
        return key in exact if exact is not None else key in self.filter  # type: ignore[operator]

    def check_add(self, key: str) -> bool:
        """`key in self`, then `add(key)`."""
        exact = self.exact
        if exact is None:
            return self.filter.check_add(key)  # type: ignore[union-attr]
        if key in exact:
            return True
        exact.add(key)
        if len(exact) >= self.EXACT_KEYS:
            self.exact = None
            self.filter = KeyFilter()
            for known in exact:
                self.filter.add(known)
        return False
