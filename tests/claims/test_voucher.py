"""The drop-off voucher speaks the claim's language, in a font that has its glyphs, or English where the
machine has none. The QR code of the reference is the same in every language."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from claims import voucher
from claims.voucher import voucher_png, voucher_text
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def installed(files) -> bool:
    return any(Path(f).is_file() for f in files if f)


needs_latin_font = pytest.mark.skipif(
    not installed(voucher.LATIN_FONT_FILES + voucher.CJK_FONT_FILES),
    reason="no font with umlauts: `make fonts` installs fonts-dejavu-core",
)
needs_cjk_font = pytest.mark.skipif(
    not installed(voucher.CJK_FONT_FILES),
    reason="no font with Japanese glyphs: `make fonts` installs fonts-ipafont-gothic",
)


@pytest.fixture
def claim_in(us_recall):
    def make(language: str, **kwargs):
        kwargs.setdefault("serial", "AH23060000000042")
        return ClaimFactory(recall=us_recall, model=us_recall.models.get(), language=language, **kwargs)

    return make


def glyph(font_file, character: str) -> bytes:
    font = ImageFont.load_default(size=18) if font_file is None else ImageFont.truetype(font_file, 18)
    return bytes(font.getmask(character))


def draws_its_own_glyphs(font_file, characters: str) -> bool:
    return all(glyph(font_file, c) != glyph(font_file, "\U0010ffff") for c in characters)


def decoded(png: bytes) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("language", ["de", "ja"])
def test_the_voucher_is_drawn_in_the_claims_language(claim_in, language):
    claim = claim_in("en")
    english = voucher_png(claim=claim)
    claim.language = language
    assert voucher_png(claim=claim) != english


def test_an_english_claims_voucher_is_in_english(claim_in):
    text = voucher_text(claim=claim_in("en"))
    assert text.language == "en"
    assert text.title == "Recall drop-off voucher"
    assert text.lines[0] == "Model A1263, serial AH23060000000042"


@needs_latin_font
def test_a_german_claims_voucher_is_in_german_in_a_font_with_umlauts(claim_in):
    claim = claim_in("de")

    text = voucher_text(claim=claim)

    assert text.title == "Abgabebeleg für den Rückruf"
    assert text.lines == (
        "Modell A1263, Seriennummer AH23060000000042",
        "Lithium-Ionen-Akku: bei einem zertifizierten Recyclingzentrum abgeben.",
        "Niemals in den Hausmüll, in Wertstofftonnen oder in Batteriesammelboxen im Handel.",
    )
    assert not draws_its_own_glyphs(None, "ü")  # Pillow's own font would draw a box
    assert draws_its_own_glyphs(text.font_file, "üßäöÜ")
    assert decoded(voucher_png(claim=claim)) == [claim.reference]


def test_a_proof_only_claims_voucher_names_the_model_only(claim_in):
    assert voucher_text(claim=claim_in("en", serial="")).lines[0] == "Model A1263"


@needs_cjk_font
def test_a_japanese_claims_voucher_is_in_japanese_in_a_font_that_draws_it(claim_in):
    claim = claim_in("ja")

    text = voucher_text(claim=claim)

    assert text.language == "ja"
    assert text.title == "リコール製品の引き渡し票"
    assert text.lines[0] == "型番 A1263、シリアル番号 AH23060000000042"
    assert not draws_its_own_glyphs(None, "リ")
    assert draws_its_own_glyphs(text.font_file, "".join(set(text.title + "".join(text.lines)) - {" "}))
    assert decoded(voucher_png(claim=claim)) == [claim.reference]


@needs_latin_font
def test_without_a_japanese_font_a_japanese_claims_voucher_is_in_english(claim_in, monkeypatch):
    monkeypatch.setattr(voucher, "CJK_FONT_FILES", ("/nonexistent/ipag.ttf",))
    claim = claim_in("ja")

    text = voucher_text(claim=claim)

    assert text.language == "en"
    assert text.title == "Recall drop-off voucher"
    assert decoded(voucher_png(claim=claim)) == [claim.reference]


@pytest.mark.parametrize("language", ["de", "ja"])
def test_without_any_font_but_pillows_own_a_voucher_is_in_english(claim_in, monkeypatch, language):
    monkeypatch.setattr(voucher, "LATIN_FONT_FILES", ())
    monkeypatch.setattr(voucher, "CJK_FONT_FILES", ())
    claim = claim_in(language)

    text = voucher_text(claim=claim)

    assert (text.language, text.font_file) == ("en", None)
    assert text.title == "Recall drop-off voucher"
    assert decoded(voucher_png(claim=claim)) == [claim.reference]


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_every_line_fits_on_the_voucher(claim_in, language):
    text = voucher_text(claim=claim_in(language))
    draw = ImageDraw.Draw(Image.new("RGB", (voucher.WIDTH, 640)))
    for line, size in [(text.title, 28), *((line, 18) for line in text.lines)]:
        font = voucher._fitting_font(draw, line, text.font_file, size)
        assert draw.textlength(line, font=font) <= voucher.WIDTH - 2 * voucher.MARGIN, line
