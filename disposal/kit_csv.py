"""CSV exchange with the return-kit provider: kits to send out, their tracking numbers back."""

from __future__ import annotations

from collections.abc import Iterable

from .models import ReturnKit
from .services import shipping_address

RETURN_KIT_COLUMNS = [
    "reference",
    "name",
    "address",
    "country",
    "unit_condition",
    "return_to",
    "return_to_address",
    "ordered_at",
]


def return_kits_open_rows() -> Iterable[list[str]]:
    """The kits ordered and not sent yet, oldest first."""
    kits = (
        ReturnKit.objects.filter(status=ReturnKit.Status.ORDERED, tracking_number="")
        .select_related("claim", "return_to")
        .order_by("ordered_at", "pk")
    )
    for kit in kits.iterator(chunk_size=2000):
        claim, centre = kit.claim, kit.return_to
        yield [
            claim.reference,
            claim.customer_name,
            shipping_address(claim).replace("\n", ", "),
            claim.country,
            claim.unit_condition,
            centre.name if centre is not None else "",
            centre.address.replace("\n", ", ") if centre is not None else "",
            kit.ordered_at.isoformat(),
        ]
