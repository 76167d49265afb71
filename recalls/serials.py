"""Serial-number normalisation: what customers type, turned into what the label says."""

import re

_SEPARATORS = re.compile(r"[\s\-]+")
# Everything a stored serial may contain after normalisation.
SERIAL_CHARACTERS = re.compile(r"[0-9A-Z]+")
MAX_SERIAL_LENGTH = 32


def normalise_serial(raw: str) -> str:
    """Strip spaces and dashes, upper-case, and read O as 0 and I as 1 (these serials never use O or I,
    so a customer who typed one meant 0 or 1)."""
    # Imports normalise millions: no regular expression where there is nothing to strip, and two
    # replace() calls, several times faster than translate().
    stripped = raw if raw.isalnum() else _SEPARATORS.sub("", raw)
    return stripped.upper().replace("O", "0").replace("I", "1")
