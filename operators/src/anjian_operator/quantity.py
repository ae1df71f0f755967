"""Kubernetes resource quantities (`1Gi`, `500M`) as byte counts, for NATS limits."""

import re
from decimal import Decimal

_SUFFIXES = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([kMGTPE]i?|Ki)?$")


def to_bytes(quantity: str) -> int:
    """Bytes in a quantity; fractions round down, as a byte cannot be split."""
    match = _QUANTITY.match(quantity)
    if match is None or (match.group(2) or "") not in _SUFFIXES:
        raise ValueError(f"not a byte quantity: {quantity!r}")
    return int(Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""])
