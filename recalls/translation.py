"""The recall texts customers read, kept per language (django-modeltranslation).

``title`` and ``hazard`` read in the active language, and in English where that one is empty. Product
names are not translated: they are the names the units are sold and labelled under in every market.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Recall


@register(Recall)
class RecallTranslationOptions(TranslationOptions):
    fields = ("title", "hazard")
