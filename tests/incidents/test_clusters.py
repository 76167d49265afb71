"""The warning that reports gather in a serial block no recalled batch covers: the recall may need
widening. Tested on generated reports: a cluster that warns, scattered units that do not, units inside
the recalled batches that do not count, and one unit reported many times counted once."""

import random

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.selectors import clusters_outside_recalls, serial_block
from recalls.models import RecalledSerial
from tests.factories import ProductModelFactory, SerialRangeFactory

from .helpers import make_incident

pytestmark = pytest.mark.django_db


def serials_in_block(block: str, count: int, rng: random.Random) -> list[str]:
    return [f"{block}{n:06d}" for n in rng.sample(range(1_000_000), count)]


def test_the_block_is_all_but_the_last_six_characters():
    assert serial_block("AH23070000000042") == "AH23070000"


def test_three_units_of_one_block_outside_the_recall_warn_with_the_rule_explained(us_recall):
    rng = random.Random(7)
    clustered = serials_in_block("AH23070000", 3, rng)
    for serial in clustered:
        make_incident(serial=serial, kind=rng.choice(["smoke", "melting", "overheating"]))
    [cluster] = clusters_outside_recalls()
    assert (cluster.model_number, cluster.block, cluster.units) == ("A1263", "AH23070000", 3)
    assert {i.serial for i in cluster.incidents} == set(clustered)
    assert "3 different units of model A1263" in cluster.explanation
    assert "no recalled batch covers any of them" in cluster.explanation
    assert "last 6 characters" in cluster.explanation and "may need widening" in cluster.explanation


def test_scattered_units_and_units_inside_the_recalled_batches_do_not_warn(us_recall):
    rng = random.Random(11)
    # Two units in each of many blocks outside the recall: never three of one block.
    for month in range(1, 13):
        for serial in serials_in_block(f"AH24{month:02d}0000", 2, rng):
            make_incident(serial=serial)
    # Many reports inside the recalled range AH2306 (the recall already covers them).
    for serial in serials_in_block("AH23060000", 20, rng):
        make_incident(serial=serial)
    # Reports without a serial.
    for _ in range(5):
        make_incident()
    assert Incident.objects.count() == 12 * 2 + 20 + 5
    assert clusters_outside_recalls() == []


def test_one_unit_reported_again_and_again_is_one_unit(us_recall):
    for _ in range(4):
        make_incident(serial="AH23070000000042")
    make_incident(serial="AH23070000000043")
    assert clusters_outside_recalls() == []


def test_a_recall_widened_to_the_block_ends_the_warning(us_recall):
    for serial in ("AH23070000000001", "AH23070000500000", "AH23070000999999"):
        make_incident(serial=serial)
    assert len(clusters_outside_recalls()) == 1
    SerialRangeFactory(batch=us_recall.batches.get(), prefix="AH2307", start=0, end=999_999)
    assert clusters_outside_recalls() == []


def test_the_threshold_is_a_setting(us_recall, settings):
    settings.INCIDENT_CLUSTER_MIN_UNITS = 2
    make_incident(serial="AH23070000000001")
    make_incident(serial="AH23070000000002")
    assert len(clusters_outside_recalls()) == 1


def test_supervisors_see_the_warning_on_the_index_and_the_incidents_list(
    client, us_recall, supervisor, agent
):
    for serial in ("AH23070000000001", "AH23070000000002", "AH23070000000003"):
        make_incident(serial=serial, kind="smoke")
    client.force_login(supervisor)
    for url in (reverse("admin:index"), reverse("admin:incidents_incident_changelist")):
        page = client.get(url).content.decode()
        assert "Incidents outside the recalled batches: the recall may need widening" in page
        assert "block AH23070000" in page and "3 different units of model A1263" in page
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert "the recall may need widening" not in page


def test_a_serial_no_longer_than_the_block_digits_is_in_no_block_and_no_cluster(us_recall, settings):
    """With the block as long as the serial, nothing is left to group by: no warning at all."""
    assert serial_block("AH2307") == ""
    settings.INCIDENT_CLUSTER_BLOCK_DIGITS = 16
    for serial in ("AH23070000000001", "AH23070000000002", "AH23070000000003"):
        make_incident(serial=serial)
    assert clusters_outside_recalls() == []


def test_clusters_are_listed_by_block_whatever_their_model(us_recall):
    """Supervisors read the warnings in serial order: a model added later does not come last."""
    ProductModelFactory(model_number="B2000")
    for n in range(3):
        make_incident(serial=f"AH2308000000000{n}")  # A1263, the older model
        make_incident(model_number="B2000", serial=f"AH2307000000000{n}")
    clusters = clusters_outside_recalls()
    assert [(c.model_number, c.block) for c in clusters] == [("B2000", "AH23070000"), ("A1263", "AH23080000")]


def test_units_a_recalled_batch_lists_serial_by_serial_do_not_count(us_recall):
    """A batch may list serials one by one instead of by range: those units are inside the recall."""
    clustered = ("AH23070000000001", "AH23070000000002", "AH23070000000003")
    for serial in clustered:
        make_incident(serial=serial)
    batch = us_recall.batches.get()
    RecalledSerial.objects.create(model=batch.model, serial=clustered[0], recall=us_recall, batch=batch)
    assert clusters_outside_recalls() == []
