"""The claims tests' fixtures serve here too: a remedy is issued for a claim taken as customers send it."""

from tests.claims.conftest import jpeg, media, receipt_pdf  # noqa: F401 - fixtures
