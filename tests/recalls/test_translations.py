"""A recall's title and hazard in the reader's language (German, Japanese), English where none is given."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from recalls.models import Recall
from recalls.selectors import batch_covering_serial, product_model_get

pytestmark = pytest.mark.django_db

TITLES = {
    "en": "Power bank recall",
    "de": "Rückruf von Powerbanks",
    "ja": "モバイルバッテリーのリコール",
}
HAZARDS = {
    "en": "The power bank can overheat and catch fire.",
    "de": "Die Powerbank kann überhitzen und in Brand geraten.",
    "ja": "モバイルバッテリーが過熱し、発火するおそれがあります。",
}


@pytest.fixture
def translated_recall(us_recall):
    Recall.objects.filter(pk=us_recall.pk).update(
        **{f"title_{language}": title for language, title in TITLES.items()},
        **{f"hazard_{language}": hazard for language, hazard in HAZARDS.items()},
    )
    return us_recall


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_the_recall_list_answers_in_the_accept_language_with_the_same_fields(
    api, translated_recall, language
):
    body = api.get("/api/v1/recalls/", HTTP_ACCEPT_LANGUAGE=language).json()

    (recall,) = body["results"]
    assert (recall["title"], recall["hazard"]) == (TITLES[language], HAZARDS[language])
    assert not {key for key in recall if key.startswith(("title_", "hazard_"))}  # the contract's names only


def test_an_untranslated_recall_reads_in_english(api, translated_recall):
    Recall.objects.filter(pk=translated_recall.pk).update(title_ja="", hazard_ja=None)

    (recall,) = api.get("/api/v1/recalls/", HTTP_ACCEPT_LANGUAGE="ja").json()["results"]

    assert (recall["title"], recall["hazard"]) == (TITLES["en"], HAZARDS["en"])


def test_another_language_than_the_programmes_reads_in_english(api, translated_recall):
    (recall,) = api.get("/api/v1/recalls/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert recall["title"] == TITLES["en"]


def test_the_index_page_shows_the_german_title_and_hazard(client, translated_recall):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert TITLES["de"] in page and HAZARDS["de"] in page
    assert TITLES["en"] not in page and HAZARDS["en"] not in page


def test_the_serial_check_page_names_the_recall_in_japanese(client, translated_recall):
    given = {"model_number": "A1263", "serial": "AH23060000000042", "country": "US"}

    page = client.get("/", given, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert f"<strong>{TITLES['ja']}</strong>" in page


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_the_eligibility_query_reads_the_title_of_the_active_language(translated_recall, language):
    model = product_model_get(model_number="A1263")

    with translation.override(language):
        coverage = batch_covering_serial(model=model, serial="AH23060000000042", country="US")

    assert coverage.recall.title == TITLES[language]


@pytest.mark.parametrize("untranslated", ["", None])
def test_the_eligibility_query_falls_back_to_the_english_title(translated_recall, untranslated):
    Recall.objects.filter(pk=translated_recall.pk).update(title_de=untranslated)
    model = product_model_get(model_number="A1263")

    with translation.override("de"):
        coverage = batch_covering_serial(model=model, serial="AH23060000000042", country="US")

    assert coverage.recall.title == TITLES["en"]


def test_the_demo_recalls_read_in_german_and_japanese(db):
    call_command("load_demo")
    call_command("load_demo")  # idempotent: the translations stay as loaded

    for recall in Recall.objects.all():
        with translation.override("en"):
            english = (recall.title, recall.hazard)
        assert "(demo)" in english[0]
        with translation.override("de"):
            german = (recall.title, recall.hazard)
        with translation.override("ja"):
            japanese = (recall.title, recall.hazard)
        assert len({english[0], german[0], japanese[0]}) == 3, recall.code
        assert len({english[1], german[1], japanese[1]}) == 3, recall.code
        assert "(Demo)" in german[0] and "（デモ）" in japanese[0]
        assert "Lithium-Ionen" in german[1] and "リチウムイオン" in japanese[1]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_each_recalls_text_as_its_english_one():
    executor = MigrationExecutor(connection)
    old = executor.loader.project_state([("recalls", "0006_roles")]).apps
    executor.migrate([("recalls", "0006_roles")])
    try:
        executor.loader.build_graph()
        old.get_model("recalls", "Recall").objects.create(
            code="R-OLD", title="Old recall", hazard="Old hazard", announced_on="2025-06-01"
        )

        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    recall = Recall.objects.get(code="R-OLD")
    assert (recall.title_en, recall.hazard_en) == ("Old recall", "Old hazard")
    assert (recall.title_de, recall.title_ja) == (None, None)
    with translation.override("de"):
        assert (recall.title, recall.hazard) == ("Old recall", "Old hazard")


def test_the_admin_edits_title_and_hazard_per_language(client, translated_recall, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    page = client.get(f"/admin/recalls/recall/{translated_recall.pk}/change/").content.decode()

    for language in ("en", "de", "ja"):
        assert f'name="title_{language}"' in page and f'name="hazard_{language}"' in page
    assert TITLES["ja"] in page and HAZARDS["de"] in page
    assert "googleapis" not in page  # no script from elsewhere: the CSP would refuse it


def test_the_eligibility_query_falls_back_to_the_untranslated_title(translated_recall):
    """A recall written before its titles were translated has its title in the original column only."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Recall._meta.db_table} SET title = %s, title_en = NULL, title_de = NULL, title_ja = NULL "
            "WHERE id = %s",
            ["Untranslated title", translated_recall.pk],
        )
    model = product_model_get(model_number="A1263")
    coverage = batch_covering_serial(model=model, serial="AH23060000000042", country="US")
    assert coverage.recall.title == "Untranslated title"
