"""Random identifiers in Crockford's base32: no I, L, O or U to misread or misspell."""

import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_crockford(length: int) -> str:
    """``length`` characters of 5 random bits each."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def new_claim_reference() -> str:
    """``RC-`` and 8 characters: 40 random bits, short enough to read out on the phone."""
    return f"RC-{random_crockford(8)}"


def new_access_token() -> str:
    return secrets.token_urlsafe(32)


def normalise_reference(value: str) -> str:
    """A reference as typed or read out: any case, and O, I or L for 0 and 1 (base32 has none of them)."""
    return value.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
