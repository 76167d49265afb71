import datetime

import factory
from django.utils import timezone

from recalls.models import BatchMarket, MarketRule, ProductModel, Recall, RecalledBatch, SerialRange

SERIAL_FORMAT = r"[0-9A-HJ-NP-Z]{16}"


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ["model_number"]

    model_number = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Faker("word")
    serial_format = SERIAL_FORMAT


class RecallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recall

    code = factory.Sequence(lambda n: f"TEST-RECALL-{n}")
    title = "Test recall"
    hazard = "Fire risk"
    announced_on = datetime.date(2025, 6, 12)
    active = True


class MarketRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketRule

    recall = factory.SubFactory(RecallFactory)
    country = "US"
    offers_replacement = True
    offers_gift_card = True
    gift_card_amount = "40.00"
    gift_card_currency = "USD"


class RecalledBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecalledBatch
        skip_postgeneration_save = True

    recall = factory.SubFactory(RecallFactory)
    model = factory.SubFactory(ProductModelFactory)
    name = factory.Sequence(lambda n: f"batch-{n}")

    @factory.post_generation
    def markets(self, create, extracted, **kwargs):
        for country in extracted or ["US"]:
            BatchMarket.objects.create(batch=self, country=country)
        self.recall.models.add(self.model)


class SerialRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SerialRange

    batch = factory.SubFactory(RecalledBatchFactory)
    prefix = "AH2306"
    width = 10
    start = 0
    end = 999_999


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim as the intake leaves it; use the services to move it on."""

    class Meta:
        model = "claims.Claim"
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"RC-T{n:07d}")
    recall = factory.SubFactory(RecallFactory)
    model = factory.SubFactory(ProductModelFactory)
    serial = factory.Sequence(lambda n: f"AH2306{n:010d}")
    country = "US"
    remedy = "gift_card"
    status = "needs_review"
    serial_recalled = True
    customer_name = "Ann Example"
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    address_line1 = "1 Main Street"
    city = "Springfield"
    postal_code = "12345"
    access_token_hash = "0" * 64
    review_since = factory.LazyAttribute(lambda c: timezone.now() if c.status == "needs_review" else None)

    @factory.post_generation
    def accepted_terms(claim, create, extracted, **kwargs):
        """A claim made approved (or later) carries the terms its market offers, as an approval
        records them; one made approved has its remedy due, as if its task had been lost."""
        from claims.models import ClaimStatus
        from claims.services import _accept_terms
        from recalls.selectors import market_rule_get

        approved = {
            ClaimStatus.APPROVED,
            ClaimStatus.AWAITING_DISPOSAL,
            ClaimStatus.FULFILLING,
            ClaimStatus.FULFILLED,
        }
        if not create or claim.status not in approved or claim.terms_remedy:
            return
        rule = market_rule_get(recall=claim.recall, country=claim.country)
        if rule is None or claim.remedy not in rule.remedies:
            return
        fields = _accept_terms(claim, rule)
        if claim.status == ClaimStatus.APPROVED:
            claim.remedy_retry_at = claim.terms_accepted_at
            fields.append("remedy_retry_at")
        claim.save(update_fields=fields)


def facility_with_token(name="Centre A", country="US", expires_on=None, **kwargs):
    """A certified facility and its API token (only the hash is stored)."""
    import datetime

    from disposal.services import Certification, facility_create

    expires_on = expires_on or datetime.date.today() + datetime.timedelta(days=365)
    return facility_create(
        name=name, country=country, certifications=[Certification("R2", f"R2-{name}", expires_on)], **kwargs
    )


def png_bytes(width: int, height: int, colour=(255, 255, 255)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def attach_receipt(claim, *, width: int = 40, height: int = 30, colour=(255, 255, 255)):
    """A stored PNG proof of purchase on ``claim``, as an agent would find it."""
    import hashlib

    from django.core.files.base import ContentFile

    from claims.models import ClaimDocument

    content = png_bytes(width, height, colour)
    document = ClaimDocument(
        claim=claim,
        kind=ClaimDocument.Kind.PROOF_OF_PURCHASE,
        content_type="image/png",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        width=width,
        height=height,
    )
    document.file.save("receipt", ContentFile(content), save=True)
    return document
