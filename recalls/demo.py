"""The demo programme: the 2025 Anker power-bank recalls, with demo batches and serial ranges.

Recalls, models and markets follow the news reports; batches, serial ranges, amounts and the model
numbers the reports do not give are made up for the demo and labelled as such.
"""

import datetime
import io

from .models import BatchMarket, ProductModel, Recall, RecalledBatch, SerialRange
from .services import market_rule_save, serials_import

SERIAL_FORMAT = r"[0-9A-HJ-NP-Z]{16}"
# Per language, as customers read it (recalls/translation.py).
HAZARD = {
    "en": (
        "Lithium-ion cells from one supplier may have a manufacturing defect: the power bank can overheat, "
        "melt, smoke or catch fire. Stop using it, and never put it in household trash, recycling bins or "
        "shop battery boxes: hand it in at a certified recycling centre that accepts lithium-ion batteries."
    ),
    "de": (
        "Lithium-Ionen-Zellen eines Zulieferers können einen Fertigungsfehler haben: Die Powerbank kann "
        "überhitzen, schmelzen, qualmen oder in Brand geraten. Benutzen Sie sie nicht mehr und werfen Sie "
        "sie niemals in den Hausmüll, in Wertstofftonnen oder in die Batteriesammelboxen im Handel: Geben "
        "Sie sie bei einem zertifizierten Recyclingzentrum ab, das Lithium-Ionen-Akkus annimmt."
    ),
    "ja": (
        "特定の供給元のリチウムイオン電池セルに製造上の欠陥があるおそれがあり、モバイルバッテリーが過熱、"
        "溶融、発煙、発火するおそれがあります。使用を中止し、家庭ごみ、資源ごみ、店頭の電池回収ボックスには"
        "絶対に捨てないでください。リチウムイオン電池を受け入れる認定リサイクル施設にお持ちください。"
    ),
}

# model number, name, demo model number
MODELS = [
    ("A1263", "Anker PowerCore 10000", False),
    ("A1257", "Anker Power Bank", False),
    ("A1647", "Anker Power Bank", False),
    ("A1652", "Anker MagGo Power Bank", False),
    ("A1681", "Anker Zolo Power Bank", False),
    ("A1689", "Anker Zolo Power Bank", False),
    ("A3117", "Soundcore 3 (demo model number)", True),
    ("A3130", "Soundcore Motion X600 (demo model number)", True),
    ("A3305", "PowerConf S500 (demo model number)", True),
]

US = {
    "country": "US",
    "offers_replacement": True,
    "offers_gift_card": True,
    "gift_card_amount": "40.00",
    "gift_card_currency": "USD",
    # The manufacturer's US flow asks for a photo of the unit with "RECALLED" written on it.
    "product_photo_required": True,
}
DE = {
    "country": "DE",
    "offers_replacement": True,
    "offers_refund": True,
    "refund_amount": "39.99",
    "refund_currency": "EUR",
    "disposal_before_remedy": True,
}
# The Japanese recall posted customers a prepaid envelope and a fire-safe bag: kits by mail.
JP = {"country": "JP", "offers_replacement": True, "return_by_mail": True}

# code, title per language, announced, market rules, batches: (model, name, markets, prefix, start, end, made)
RECALLS = [
    (
        "ANKER-2025-06-A1263",
        {
            "en": "Anker PowerCore 10000 (A1263) power bank recall (demo)",
            "de": "Rückruf der Powerbank Anker PowerCore 10000 (A1263) (Demo)",
            "ja": "Anker PowerCore 10000（A1263）モバイルバッテリーのリコール（デモ）",
        },
        datetime.date(2025, 6, 12),
        [US, DE],
        [("A1263", "DEMO A1263 2023-H2", ["US", "DE"], "AH2306", 0, 999_999, (2023, 6))],
    ),
    (
        "ANKER-2025-06-BATCH2",
        {
            "en": "Anker power banks A1257, A1647, A1652, A1681, A1689 recall (demo)",
            "de": "Rückruf der Anker-Powerbanks A1257, A1647, A1652, A1681, A1689 (Demo)",
            "ja": "Anker モバイルバッテリー A1257・A1647・A1652・A1681・A1689 のリコール（デモ）",
        },
        datetime.date(2025, 6, 27),
        [US, DE],
        [
            ("A1257", "DEMO A1257 2024-Q1", ["US", "DE"], "AK2401", 0, 299_999, (2024, 1)),
            ("A1647", "DEMO A1647 2024-Q1", ["US", "DE"], "AK2402", 0, 299_999, (2024, 2)),
            ("A1652", "DEMO A1652 2024-Q1", ["US", "DE"], "AM2403", 0, 199_999, (2024, 3)),
            ("A1681", "DEMO A1681 2024-Q2", ["US", "DE"], "AZ2404", 0, 149_999, (2024, 4)),
            ("A1689", "DEMO A1689 2024-Q2", ["US", "DE"], "AZ2405", 0, 149_999, (2024, 5)),
        ],
    ),
    (
        "ANKER-2025-10-JP",
        {
            "en": "Japan: PowerCore 10000, Soundcore 3, Soundcore Motion X600, PowerConf S500 recall (demo)",
            "de": "Japan: Rückruf von PowerCore 10000, Soundcore 3, Soundcore Motion X600 und PowerConf S500 (Demo)",
            "ja": "日本：PowerCore 10000、Soundcore 3、Soundcore Motion X600、PowerConf S500 のリコール（デモ）",
        },
        datetime.date(2025, 10, 21),
        [JP],
        [
            ("A1263", "DEMO A1263 JP 2023", ["JP"], "AJ2310", 0, 199_999, (2023, 10)),
            ("A3117", "DEMO A3117 JP 2023", ["JP"], "SJ2311", 0, 99_999, (2023, 11)),
            ("A3130", "DEMO A3130 JP 2024", ["JP"], "SJ2401", 0, 49_999, (2024, 1)),
            ("A3305", "DEMO A3305 JP 2024", ["JP"], "PJ2402", 0, 29_999, (2024, 2)),
        ],
    ),
]
RANGE_WIDTH = 10
CELL_VENDOR = "DEMO cell supplier (the reports do not name it)"
# Units listed one by one rather than by range, as a manufacturer's spreadsheet would give them.
LISTED_SERIALS = [f"AL23090000000{n:03d}" for n in range(1, 21)]


def load() -> str:
    models = {}
    for number, name, demo in MODELS:
        models[number], _ = ProductModel.objects.update_or_create(
            model_number=number, defaults={"name": name, "serial_format": SERIAL_FORMAT, "is_demo": demo}
        )
    ranges = 0
    for code, titles, announced, rules, batches in RECALLS:
        recall, _ = Recall.objects.update_or_create(
            code=code,
            defaults={
                **{f"title_{language}": title for language, title in titles.items()},
                **{f"hazard_{language}": hazard for language, hazard in HAZARD.items()},
                "announced_on": announced,
                "claim_deadline": None,
                "active": True,
                "is_demo": True,
            },
        )
        for rule in rules:
            market_rule_save(
                recall=recall, country=rule["country"], **{k: v for k, v in rule.items() if k != "country"}
            )
        for number, name, markets, prefix, start, end, (year, month) in batches:
            recall.models.add(models[number])
            batch, _ = RecalledBatch.objects.update_or_create(
                recall=recall,
                model=models[number],
                name=name,
                defaults={
                    "manufactured_from": datetime.date(year, month, 1),
                    "manufactured_to": datetime.date(year, month, 28),
                    "cell_vendor": CELL_VENDOR,
                },
            )
            for country in markets:
                BatchMarket.objects.get_or_create(batch=batch, country=country)
            SerialRange.objects.get_or_create(
                batch=batch, prefix=prefix, width=RANGE_WIDTH, start=start, end=end
            )
            ranges += 1

    a1263 = Recall.objects.get(code="ANKER-2025-06-A1263")
    listed = serials_import(
        recall=a1263,
        model=models["A1263"],
        source=io.BytesIO("\n".join(LISTED_SERIALS).encode()),
        batch_name="DEMO A1263 listed units",
        markets=["US", "DE"],
    )
    return f"{len(RECALLS)} recalls, {len(MODELS)} models, {ranges} serial ranges, {listed.imported} new listed serials"
