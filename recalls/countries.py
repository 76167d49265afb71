"""Countries: ISO 3166-1 alpha-2 codes for market countries, and their names in the customer's
language, from django-countries (which keeps the list and its translations)."""

from django_countries import countries


def normalise_country(value: str) -> str:
    return value.strip().upper()


def is_country(value: str) -> bool:
    """An officially assigned alpha-2 code, as written (django-countries also reads alpha-3 and
    numeric codes; a market's country is its alpha-2)."""
    return bool(value) and countries.alpha2(value) == value


def country_codes() -> list[str]:
    """Every officially assigned alpha-2 code, in order: the values ``is_country`` accepts."""
    return sorted(country.code for country in countries)


def country_label(code: str) -> str:
    """The country's name in the active language with its code, "Germany (DE)"; else the bare code."""
    name = countries.name(code)
    return f"{name} ({code})" if name else code
