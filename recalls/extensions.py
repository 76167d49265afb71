"""What later apps add to recalls, through slots recalls declares here (see ``core.registry``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.registry import Registry

if TYPE_CHECKING:
    from .services import SerialCheck

# Told of every serial check answered (the pages' and the API's), on the request's path: a provider
# must only note it (the reports app buffers a count per recall, model, country and day).
serial_checked: Registry[Callable[[SerialCheck], None]] = Registry("recalls.serial_checked")
