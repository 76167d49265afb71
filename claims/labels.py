"""Reading the serial printed on the unit's label from the customer's photo (Tesseract OCR).

The engine comes with tesserocr; its English model with Debian's ``tesseract-ocr-eng`` (``make``
installs it where it can). Where the model is missing, or reading fails or takes too long, the photo is
"not read" and the claim goes on as it would without the check: the reading only ever adds a flag or a
tick for agents.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models
from PIL import Image

from recalls.models import ProductModel
from recalls.serials import MAX_SERIAL_LENGTH, normalise_serial

logger = logging.getLogger(__name__)

# Where Debian's tesseract-ocr-eng (and other distributions) put the English model.
_TESSDATA_DIRECTORIES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
# One engine per thread (Tesseract's are not shared between threads), kept: loading the model costs
# ten times reading a label.
_ENGINES = threading.local()

# Labels are read at this size at most (the longest side): more pixels cost seconds and read no better.
LABEL_READ_SIDE = 1600
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]*")
# The words a label prints before its serial: not part of it ("S/N" read as "SN" would make a serial of
# the next word look two characters longer).
_SERIAL_WORDS = re.compile(r"\b(?:S\s*/\s*N|SN|SER(?:IAL)?(?:\s*N[O0])?|N[O0])\b\.?:?", re.IGNORECASE)
# Glyphs OCR takes for one another on a label; a serial read with one of them in place of the other is
# still the claimed one (normalisation has mapped O and I already).
_LOOKALIKES = str.maketrans("SBZGQDL", "5826001")


class LabelCheck(models.TextChoices):
    VERIFIED = "verified", "Label shows the claimed serial"
    DIFFERS = "differs", "Label shows another serial"
    UNCLEAR = "unclear", "Label read one character off"
    READ = "read", "Serial read on the label"
    NOT_READ = "not_read", "No serial read on the label"
    UNAVAILABLE = "unavailable", "Label reading not installed"


@dataclass(frozen=True)
class LabelReading:
    check: str
    serial: str = ""


@functools.cache
def _tessdata() -> str | None:
    """The folder holding Tesseract's English model, or None (labels are then not read)."""
    configured = os.environ.get("TESSDATA_PREFIX")
    for folder in ([configured] if configured else []) + list(_TESSDATA_DIRECTORIES):
        if (Path(folder) / "eng.traineddata").is_file():
            return folder
    logger.warning("Tesseract's English model (tesseract-ocr-eng) is not installed: labels are not read.")
    return None


def label_reading_available() -> bool:
    return settings.LABEL_READING_ENABLED and _tessdata() is not None


def _engine():
    engine = getattr(_ENGINES, "engine", None)
    if engine is None:
        import tesserocr

        engine = _ENGINES.engine = tesserocr.PyTessBaseAPI(path=_tessdata(), lang="eng")
    return engine


def label_text(image: Image.Image) -> str | None:
    """The text Tesseract reads on the photo, or None where it cannot be read here and now."""
    if not label_reading_available():
        return None
    image = image.convert("L")
    image.thumbnail((LABEL_READ_SIDE, LABEL_READ_SIDE))  # a no-op for the copy uploads pass
    try:
        engine = _engine()
        engine.SetImage(image)
        if not engine.Recognize(timeout=int(settings.LABEL_READING_TIMEOUT_SECONDS * 1000)):
            logger.warning("Label photo not read within %ss.", settings.LABEL_READING_TIMEOUT_SECONDS)
            return None
        return engine.GetUTF8Text()
    except RuntimeError as error:  # tesserocr's way to say it could not start or read
        logger.warning("Label photo not read: %s", str(error)[:200])
        return None


def _lines(text: str) -> list[str]:
    return [_SERIAL_WORDS.sub(" ", line) for line in text.splitlines() if line.strip()]


def _candidates(text: str) -> list[str]:
    """Every word, and every run of two or three adjacent words that all hold a digit, on a line,
    normalised as a serial is (a label may print the serial in groups: "AH2306 0000 012345"; "A1652 ANKER
    POWER" is a model number and words, not a serial)."""
    found = []
    for line in _lines(text):
        words = _TOKEN.findall(line)
        for start in range(len(words)):
            for end in range(start + 1, min(start + 3, len(words)) + 1):
                run = words[start:end]
                if len(run) == 1 or all(any(c.isdigit() for c in word) for word in run):
                    found.append(normalise_serial("".join(run)))
    return found


def serial_on_label(text: str | None, *, model: ProductModel, claimed: str) -> LabelReading:
    """Whether the label's text shows the claimed serial, another serial of this model, or neither."""
    if text is None:
        return LabelReading(LabelCheck.UNAVAILABLE)
    if claimed:
        # Anywhere on a line, however OCR split it into words.
        looks = claimed.translate(_LOOKALIKES)
        if any(
            looks in normalise_serial("".join(_TOKEN.findall(line))).translate(_LOOKALIKES)
            for line in _lines(text)
        ):
            return LabelReading(LabelCheck.VERIFIED, claimed)
    candidates = _candidates(text)
    for candidate in candidates:
        if len(candidate) <= MAX_SERIAL_LENGTH and model.accepts_serial(candidate):
            if not claimed:
                return LabelReading(LabelCheck.READ, candidate)
            if _one_character_off(candidate, claimed):
                return LabelReading(LabelCheck.UNCLEAR, candidate)
            return LabelReading(LabelCheck.DIFFERS, candidate)
    return LabelReading(LabelCheck.NOT_READ)


def _one_character_off(read: str, claimed: str) -> bool:
    """One glyph misread is what OCR does to an honest label (measured: half a percent of them); a
    farmer's serial is another unit's, many characters away. Such a reading is shown, not flagged."""
    return len(read) == len(claimed) and sum(a != b for a, b in zip(read, claimed, strict=True)) == 1
