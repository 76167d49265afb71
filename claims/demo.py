"""The demo support agent and supervisor, canned reasons and a few claims waiting for review, so that
``make run`` can show the agents' workspace straight away."""

import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from core.roles import SUPERVISOR, SUPPORT_AGENT, roles_sync

from .models import Claim, ReplyTemplate
from .services import ClaimSubmission, claim_submit

DEMO_AGENT_USERNAME = "agent"
DEMO_AGENT_PASSWORD = "recall-demo-agent"  # noqa: S105 - printed by `make run`; demo data only
DEMO_SUPERVISOR_USERNAME = "supervisor"
DEMO_SUPERVISOR_PASSWORD = "recall-demo-supervisor"  # noqa: S105 - printed by `make run`; demo data only

DEMO_STAFF = [
    (DEMO_AGENT_USERNAME, DEMO_AGENT_PASSWORD, "Agent", SUPPORT_AGENT),
    (DEMO_SUPERVISOR_USERNAME, DEMO_SUPERVISOR_PASSWORD, "Supervisor", SUPERVISOR),
]


# Canned reasons in the three languages of the pages: (kind, title, {language: text}).
CANNED = [
    (
        ReplyTemplate.Kind.REJECTION,
        "Receipt unreadable",
        {
            "en": "We could not read the proof of purchase you sent. You are welcome to claim again with a "
            "clear photo or scan of the whole receipt.",
            "de": "Wir konnten den gesendeten Kaufbeleg nicht lesen. Sie können gern erneut einen Antrag "
            "stellen, mit einem gut lesbaren Foto oder Scan des ganzen Belegs.",
            "ja": "お送りいただいた購入証明書を読み取ることができませんでした。レシート全体が鮮明に写った写真"
            "またはスキャンを添えて、改めてお申し込みください。",
        },
    ),
    (
        ReplyTemplate.Kind.REJECTION,
        "Not a recalled model",
        {
            "en": "The receipt shows a product that is not part of this recall. Your unit is not affected.",
            "de": "Der Beleg zeigt ein Produkt, das nicht zu diesem Rückruf gehört. Ihr Gerät ist nicht "
            "betroffen.",
            "ja": "レシートに記載の製品は今回のリコール対象ではありません。お客様の製品は対象外です。",
        },
    ),
    (
        ReplyTemplate.Kind.REJECTION,
        "Receipt used on another claim",
        {
            "en": "This proof of purchase was already used on another claim. One receipt covers one unit.",
            "de": "Dieser Kaufbeleg wurde schon für einen anderen Antrag verwendet. Ein Beleg gilt für ein "
            "Gerät.",
            "ja": "この購入証明書は別のお申し込みですでに使用されています。1枚のレシートは1台分です。",
        },
    ),
    (
        ReplyTemplate.Kind.MESSAGE,
        "Please send the serial number",
        {
            "en": "Could you tell us the serial number printed on the unit's label? Reply to this e-mail "
            "with it; your claim stays open meanwhile.",
            "de": "Könnten Sie uns die Seriennummer vom Etikett des Geräts nennen? Antworten Sie einfach "
            "auf diese E-Mail; Ihr Antrag bleibt so lange offen.",
            "ja": "製品のラベルに印字されたシリアル番号をお知らせいただけますか。このメールにご返信ください。"
            "その間もお申し込みは有効です。",
        },
    ),
]

# Claims waiting for an agent (Germany: proof of purchase only; two share one receipt, so both are
# flagged): (name, language, receipt text).
QUEUE = [
    ("Demo customer Lena", "de", "DEMO RECEIPT 1 - PowerCore 10000 - 2024-02-11"),
    ("Demo customer Jonas", "de", "DEMO RECEIPT 2 - PowerCore 10000 - 2024-03-02"),
    ("Demo customer Mia", "en", "DEMO RECEIPT 3 - PowerCore 10000 - 2023-12-20"),
    ("Demo customer Paul", "de", "DEMO RECEIPT 4 - PowerCore 10000 - 2024-01-05"),
    ("Demo customer Farm A", "en", "DEMO RECEIPT 5 - PowerCore 10000 - 2024-04-01"),
    ("Demo customer Farm B", "en", "DEMO RECEIPT 5 - PowerCore 10000 - 2024-04-01"),
]
QUEUE_EMAIL_DOMAIN = "queue.demo.example.com"


def _receipt(text: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (480, 320), "white")
    font = ImageFont.load_default(size=30)
    ImageDraw.Draw(image).multiline_text(
        (24, 24), text.replace(" - ", "\n"), fill="black", font=font, spacing=16
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile("receipt.png", out.getvalue(), content_type="image/png")


def _canned() -> int:
    made = 0
    for kind, title, texts in CANNED:
        _template, created = ReplyTemplate.objects.get_or_create(
            kind=kind, title=title, defaults={f"text_{code}": text for code, text in texts.items()}
        )
        made += created
    return made


def _queue() -> int:
    if Claim.objects.filter(email__endswith=f"@{QUEUE_EMAIL_DOMAIN}").exists():
        return 0
    for number, (name, language, receipt) in enumerate(QUEUE, start=1):
        claim_submit(
            submission=ClaimSubmission(
                model_number="A1263",
                country="DE",
                remedy="refund",
                name=name,
                email=f"customer{number}@{QUEUE_EMAIL_DOMAIN}",
                address_line1=f"Demostraße {number}",
                city="Berlin",
                postal_code="10115",
                proof_of_purchase=_receipt(receipt),
                language=language,
            )
        )
    return len(QUEUE)


def load() -> str:
    roles_sync()
    user_model = get_user_model()
    loaded = []
    for username, password, last_name, role in DEMO_STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "first_name": "Demo",
                "last_name": last_name,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        loaded.append(f"demo {last_name.lower()} {username!r} ({'created' if created else 'kept'})")
    loaded.append(f"{_canned()} new canned reasons")
    loaded.append(f"{_queue()} new demo claims waiting for review")
    return ", ".join(loaded)
