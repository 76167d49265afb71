"""Countries: ISO 3166-1 alpha-2 codes for market countries, and their names in the customer's
language, from django-countries (which keeps the list and its translations); and the time zone each
market's customers read times in."""

import datetime
import zoneinfo

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


# The time zone a market's customers read times in. Where a country has several, the programme's one
# for the whole market: the zone most of its people live in (US: Eastern, CA: Toronto).
MARKET_TIME_ZONES = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "JP": "Asia/Tokyo",
    "GB": "Europe/London",
    "CH": "Europe/Zurich",
    # EU and EEA
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GR": "Europe/Athens",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
}


# The EU's 27 members and the EEA's three others (Iceland, Liechtenstein, Norway): the markets where the
# General Product Safety Regulation applies (GPSR Art. 37: a recall offers at least two remedies).
EU_EEA_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
        *("IS", "LI", "NO"),
    }
)


def is_eu_eea(country: str) -> bool:
    return normalise_country(country) in EU_EEA_COUNTRIES


def market_time_zone(country: str) -> datetime.tzinfo:
    """The zone the market's customers read times in; UTC for a country without one here."""
    zone = MARKET_TIME_ZONES.get(normalise_country(country))
    return zoneinfo.ZoneInfo(zone) if zone else datetime.UTC


# The fire service's number, where customers are told to call it; 112 works across Europe and on most
# mobile networks elsewhere.
EMERGENCY_NUMBERS = {"US": "911", "CA": "911", "JP": "119"}


def emergency_number(country: str) -> str:
    return EMERGENCY_NUMBERS.get(normalise_country(country), "112")
