from django.contrib import admin
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import get_translation_fields

from .models import BatchMarket, MarketRule, ProductModel, Recall, RecalledBatch, SerialRange


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["model_number", "name", "serial_format", "is_demo"]
    search_fields = ["model_number", "name"]


class MarketRuleInline(admin.StackedInline):
    model = MarketRule
    extra = 0
    autocomplete_fields = ["replacement_model"]


@admin.register(Recall)
class RecallAdmin(TranslationAdmin):
    """Title and hazard are edited per language (English, German, Japanese); an empty one reads in
    English. No tabs: their script comes from a CDN, which the pages' CSP does not allow."""

    list_display = ["code", "title", "announced_on", "claim_deadline", "active", "is_demo"]
    list_filter = ["active", "is_demo"]
    search_fields = ["code", *get_translation_fields("title")]
    filter_horizontal = ["models"]
    inlines = [MarketRuleInline]


class BatchMarketInline(admin.TabularInline):
    model = BatchMarket
    extra = 0


class SerialRangeInline(admin.TabularInline):
    model = SerialRange
    extra = 0
    fields = ["prefix", "width", "start", "end", "units"]
    readonly_fields = ["units"]

    @admin.display(description="units")
    def units(self, obj: SerialRange) -> int | str:
        return obj.units if obj.pk else "-"


@admin.register(RecalledBatch)
class RecalledBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "recall", "model", "markets_sold", "listed_serials", "cell_vendor"]
    list_filter = ["recall", "model"]
    search_fields = ["name", "recall__code", "model__model_number"]
    readonly_fields = ["listed_serials"]
    inlines = [BatchMarketInline, SerialRangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recall", "model").prefetch_related("markets")

    @admin.display(description="markets")
    def markets_sold(self, obj: RecalledBatch) -> str:
        return ", ".join(m.country for m in obj.markets.all())
