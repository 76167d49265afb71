"""What later apps add to claims, through slots claims declares here (see ``core.registry``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.registry import Registry

from .models import Claim

# Sections of text added to the "claim received" e-mail (the disposal app: the nearest centres).
received_email_sections: Registry[Callable[[Claim], str]] = Registry("claims.received_email_sections")
# How a claim's disposal is reported in its API answer (the disposal app knows the centres).
disposal_status: Registry[Callable[[Claim], dict[str, Any]]] = Registry("claims.disposal_status", single=True)
