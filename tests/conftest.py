import glob
import os
import shutil

import pytest
from django.utils import translation

from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory

# Mutation testing runs the tests once per mutant, in a fresh process each time: migrating a new
# database every time would take most of the run. ``make mutation`` migrates one SQLite file first
# and names it here; each run then starts from a private copy of it.
MUTATION_DB_TEMPLATE = os.environ.get("MUTATION_DB_TEMPLATE", "")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not MUTATION_DB_TEMPLATE or database["ENGINE"] != "django.db.backends.sqlite3":
        return
    copy = f"{MUTATION_DB_TEMPLATE}.{os.getpid()}"
    shutil.copyfile(MUTATION_DB_TEMPLATE, copy)
    request.addfinalizer(lambda: [os.remove(path) for path in glob.glob(f"{copy}*")])
    database.setdefault("TEST", {})["NAME"] = copy


@pytest.fixture(scope="session")
def django_db_keepdb(request):
    """The copy of the migrated template is kept as it is (migrate finds nothing to do)."""
    return bool(MUTATION_DB_TEMPLATE) or request.config.getvalue("reuse_db")


@pytest.fixture(autouse=True)
def default_language():
    """A request leaves its language active in the thread: every test starts in the default one."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def us_recall(db):
    """A recall sold in the US and Germany, with one range AH2306 0000000000-0000999999 of model A1263."""
    rule = MarketRuleFactory(country="US")
    MarketRuleFactory(
        recall=rule.recall,
        country="DE",
        offers_gift_card=False,
        offers_refund=True,
        refund_amount="39.99",
        refund_currency="EUR",
        disposal_before_remedy=True,
    )
    batch = RecalledBatchFactory(recall=rule.recall, model__model_number="A1263", markets=["US", "DE"])
    SerialRangeFactory(batch=batch)
    return rule.recall


@pytest.fixture
def staff_roles(db):
    """The staff groups. A migration creates them, but a transactional test's flush empties every table."""
    from core.roles import roles_sync

    roles_sync()
