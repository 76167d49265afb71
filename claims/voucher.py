"""The drop-off voucher: a PNG with a QR code of the claim's reference, for the recycling centre to scan."""

import io

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from .models import Claim

WIDTH = 600


def voucher_png(*, claim: Claim) -> bytes:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(claim.reference)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    code = code.resize((400, 400), Image.Resampling.NEAREST)

    voucher = Image.new("RGB", (WIDTH, 640), "white")
    voucher.paste(code, ((WIDTH - 400) // 2, 110))
    draw = ImageDraw.Draw(voucher)
    font = ImageFont.load_default(size=28)
    small = ImageFont.load_default(size=18)
    draw.text((WIDTH // 2, 30), "Recall drop-off voucher", fill="black", font=font, anchor="mt")
    draw.text((WIDTH // 2, 72), claim.reference, fill="black", font=font, anchor="mt")
    lines = [
        f"Model {claim.model.model_number}" + (f", serial {claim.serial}" if claim.serial else ""),
        "Lithium-ion battery: hand in at a certified recycling centre.",
        "Never in household trash, recycling bins or shop battery boxes.",
    ]
    for i, line in enumerate(lines):
        draw.text((WIDTH // 2, 525 + i * 28), line, fill="black", font=small, anchor="mt")
    out = io.BytesIO()
    voucher.save(out, "PNG")
    return out.getvalue()
