import datetime

import factory

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
