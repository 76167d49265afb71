"""Where an earlier app asks a later one for help without importing it.

The earlier app declares a slot (``Registry[...]``, typed with what it calls); the later app fills it
in its ``AppConfig.ready()``. Nothing is overwritten: filling is idempotent, and a slot says who filled
it, so a test can check that every slot the project relies on is filled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    def __init__(self, name: str, *, single: bool = False) -> None:
        self.name = name
        self.single = single  # at most one provider (a status that one app knows)
        self._providers: list[F] = []

    def register(self, provider: F) -> F:
        if provider in self._providers:
            return provider
        if self.single and self._providers:
            raise RuntimeError(f"{self.name} is provided already by {self._providers[0].__module__}")
        self._providers.append(provider)
        return provider

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._providers))

    def first(self) -> F | None:
        return self._providers[0] if self._providers else None

    def ask(self, *args: Any, default: Any = None) -> Any:
        """The first provider's answer, or ``default`` where no app provides one."""
        provider = self.first()
        return provider(*args) if provider is not None else default

    def providers(self) -> list[str]:
        """Where each provider lives, as ``module.function``."""
        return [f"{p.__module__}.{p.__qualname__}" for p in self._providers]
