"""Serial-number normalisation: what customers type, turned into what the label says."""

import re

# These serials never use O or I, so a customer who typed one meant 0 or 1.
_MISTYPED = str.maketrans({"O": "0", "I": "1"})
_SEPARATORS = re.compile(r"[\s\-]+")
# Everything a stored serial may contain after normalisation.
SERIAL_CHARACTERS = re.compile(r"[0-9A-Z]+")
MAX_SERIAL_LENGTH = 32


def normalise_serial(raw: str) -> str:
    """Strip spaces and dashes, upper-case, and read O as 0 and I as 1."""
    return _SEPARATORS.sub("", raw).upper().translate(_MISTYPED)
