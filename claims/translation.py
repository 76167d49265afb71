"""The canned reasons' texts, kept per language (django-modeltranslation): a customer receives the
claim's language, and English where that one is empty."""

from modeltranslation.translator import TranslationOptions, register

from .models import ReplyTemplate


@register(ReplyTemplate)
class ReplyTemplateTranslationOptions(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)
