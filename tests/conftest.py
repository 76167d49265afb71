import glob
import os
import shutil

import environ
import pytest
from django.utils import translation

from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory

# Mutation testing runs the tests once per mutant, in a fresh process each time: migrating a new
# database every time would take most of the run. ``make mutation`` migrates DATABASE_URL's database
# once and sets MUTATION_DB_TEMPLATE; each run then tests on a private copy of that database.
MUTATION_DB_TEMPLATE = bool(os.environ.get("MUTATION_DB_TEMPLATE"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker, request):
    if not MUTATION_DB_TEMPLATE:
        return
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    # The migrated database is DATABASE_URL's (the settings' name is the copy's once a run has begun).
    template = environ.Env.db_url_config(os.environ["DATABASE_URL"])["NAME"]
    copy = f"{template}_{os.getpid()}"
    if connection.vendor == "sqlite":
        shutil.copyfile(template, copy)
        request.addfinalizer(lambda: [os.remove(path) for path in glob.glob(f"{copy}*")])
    else:
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')

        def drop() -> None:
            connection.close()
            with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

        request.addfinalizer(drop)
    database.setdefault("TEST", {})["NAME"] = copy


@pytest.fixture(scope="session")
def django_db_keepdb(request):
    """The copy of the migrated template is kept as it is (migrate finds nothing to do)."""
    return MUTATION_DB_TEMPLATE or request.config.getvalue("reuse_db")


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
