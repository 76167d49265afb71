"""The drop-off voucher: a PNG with a QR code of the claim's reference, for the recycling centre to scan.

Its words are in the claim's language, drawn in the first installed font that has a glyph for every
character of them: Pillow's own font has neither umlauts nor Japanese, Debian's DejaVu Sans has the
umlauts and IPA Gothic (or Noto Sans CJK) Japanese too (``make fonts`` installs them). Where no font
draws the claim's language, the voucher is in English rather than in boxes; its QR code is the same.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import qrcode
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from .models import Claim

logger = logging.getLogger(__name__)

WIDTH = 600
MARGIN = 20
# Font files tried in turn, best first; None is Pillow's own font (ASCII only, always there).
LATIN_FONT_FILES: tuple[str | None, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # fonts-dejavu-core
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",  # fonts-liberation
)
CJK_FONT_FILES: tuple[str | None, ...] = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",  # fonts-ipafont-gothic
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",  # Debian's link to the Japanese gothic installed
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
)
FALLBACK_LANGUAGE = "en"
# A code point no font maps: it draws the font's "missing glyph".
_UNMAPPED = "\U0010ffff"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class VoucherText:
    """What the voucher says, in ``language``, and the font file that draws it (None: Pillow's own)."""

    language: str
    title: str
    lines: tuple[str, ...]
    font_file: str | None


def font_files() -> tuple[str | None, ...]:
    """Every font a voucher may be drawn in, best first; a CJK font draws Latin text as well."""
    return (*LATIN_FONT_FILES, *CJK_FONT_FILES, None)


def _words(claim: Claim, language: str) -> tuple[str, tuple[str, ...]]:
    with translation.override(language):
        if claim.serial:
            unit = _("Model %(model)s, serial %(serial)s") % {
                "model": claim.model.model_number,
                "serial": claim.serial,
            }
        else:
            unit = _("Model %(model)s") % {"model": claim.model.model_number}
        return _("Recall drop-off voucher"), (
            unit,
            _("Lithium-ion battery: hand in at a certified recycling centre."),
            _("Never in household trash, recycling bins or shop battery boxes."),
        )


def voucher_text(*, claim: Claim) -> VoucherText:
    """The voucher's words in the claim's language and a font that draws them; else in English."""
    for language in dict.fromkeys([claim.language, FALLBACK_LANGUAGE]):
        title, lines = _words(claim, language)
        characters = frozenset("".join((title, claim.reference, *lines)))
        for font_file in font_files():
            if (font_file is None or Path(font_file).is_file()) and _draws(font_file, characters):
                return VoucherText(language=language, title=title, lines=lines, font_file=font_file)
        _say_no_font(language)
    raise RuntimeError("Pillow's own font draws no English voucher.")  # ASCII: never


@functools.cache
def _say_no_font(language: str) -> None:
    """Once per process and language: the operator learns why vouchers are in English."""
    logger.warning(
        "voucher.no_font language=%s: no installed font draws it, vouchers are in English "
        "(make fonts installs them)",
        language,
    )


@functools.lru_cache(maxsize=32)
def _font(font_file: str | None, size: int) -> Font:
    if font_file is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(font_file, size=size)


@functools.lru_cache(maxsize=256)
def _draws(font_file: str | None, characters: frozenset[str]) -> bool:
    """Whether the font has a glyph of its own for each character (not its "missing glyph" box)."""
    font = _font(font_file, 18)
    missing = bytes(font.getmask(_UNMAPPED))
    return all(bytes(font.getmask(c)) != missing for c in characters if not c.isspace())


def _fitting_font(draw: ImageDraw.ImageDraw, text: str, font_file: str | None, size: int) -> Font:
    """The font at ``size``, or smaller until ``text`` fits between the margins (German runs long)."""
    while size > 10 and draw.textlength(text, font=_font(font_file, size)) > WIDTH - 2 * MARGIN:
        size -= 1
    return _font(font_file, size)


def voucher_png(*, claim: Claim) -> bytes:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(claim.reference)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    code = code.resize((400, 400), Image.Resampling.NEAREST)

    text = voucher_text(claim=claim)
    voucher = Image.new("RGB", (WIDTH, 640), "white")
    voucher.paste(code, ((WIDTH - 400) // 2, 110))
    draw = ImageDraw.Draw(voucher)
    title = _fitting_font(draw, text.title, text.font_file, 28)
    draw.text((WIDTH // 2, 30), text.title, fill="black", font=title, anchor="mt")
    draw.text((WIDTH // 2, 72), claim.reference, fill="black", font=_font(text.font_file, 28), anchor="mt")
    for i, line in enumerate(text.lines):
        font = _fitting_font(draw, line, text.font_file, 18)
        draw.text((WIDTH // 2, 525 + i * 28), line, fill="black", font=font, anchor="mt")
    out = io.BytesIO()
    voucher.save(out, "PNG")
    return out.getvalue()
