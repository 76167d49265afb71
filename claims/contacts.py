"""Contact keys: an e-mail and an address as a farmer's variants of them compare equal.

``farmer+1@example.com`` and ``Farmer@example.com`` are one mailbox; "77 Oak St." and "77, Oak Street"
are one door. The keys are stored beside the claim and indexed, so "other claims from this contact" is
one indexed lookup however the customer typed it. They are for comparing only: e-mails are sent to the
address as given. Phone numbers are checked for the claim's country and stored in E.164 (phonenumbers).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_NOT_WORD = re.compile(r"[\W_]+")
_LOCAL_PUNCTUATION = re.compile(r"[.\-_]")

# Common street words and their abbreviations (English and German), both spellings to one key.
_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "strasse": "st",
    "straße": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "highway": "hwy",
    "parkway": "pkwy",
    "terrace": "ter",
    "circle": "cir",
    "apartment": "apt",
    "suite": "ste",
    "unit": "apt",
    "floor": "fl",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def email_key(email: str) -> str:
    """The mailbox: lower case, without a ``+tag`` and without dots or dashes in the local part."""
    local, _, domain = _folded(email).strip().rpartition("@")
    if not local:
        return _folded(email).strip()
    local = _LOCAL_PUNCTUATION.sub("", local.split("+", 1)[0])
    return f"{local}@{domain}"


def _address_words(text: str) -> list[str]:
    # German street names are written joined as often as apart ("Hauptstraße", "Haupt Str."): split the
    # street word off the name before comparing.
    text = re.sub(r"(?<=\w)(straße|strasse|str\b)", r" \1", _folded(text))
    return [_STREET_WORDS.get(word, word) for word in _NOT_WORD.sub(" ", text).split()]


def address_key(*, country: str, postal_code: str, address_line1: str) -> str:
    """Country, postal code and street address without case, punctuation or spelt-out street words.

    The second address line (a flat, a c/o) is left out: a farmer can vary it freely and still receive
    every card at the same door."""
    postal = _NOT_WORD.sub("", _folded(postal_code))
    street = " ".join(_address_words(address_line1))
    return f"{country.upper()}|{postal}|{street}"[:300]


def phone_e164(phone: str, *, country: str) -> str | None:
    """The phone number in E.164 (``+4930901820``), or None if it is no valid number. A number without
    a country code is read as one of ``country``'s; one with a code may be of any country (a customer's
    foreign mobile)."""
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_example(country: str) -> str:
    """A number of ``country`` as its people write it, for a message; empty if the library has none."""
    example = phonenumbers.example_number(country)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL) if example else ""
