"""The shape of the code: dependencies point one way, no app imports the project's wiring, and every
slot an earlier app leaves for a later one is filled."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parent.parent
# An app may use the apps before it in this order, never those after it.
LAYERS = ["core", "recalls", "claims", "fulfilment", "disposal", "outreach", "incidents", "reports"]


def imported_apps(app: str) -> dict[str, set[str]]:
    """Per module of ``app``: the project packages it imports (``config`` included)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
        found[str(path.relative_to(ROOT))] = names & {*LAYERS, "config"}
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_before_it_and_never_config(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    wrong = {module: names - allowed for module, names in imported_apps(app).items() if names - allowed}
    assert wrong == {}


def test_migrations_depend_only_on_apps_before_theirs(db):
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    wrong = []
    for (app, name), node in graph.nodes.items():
        if app not in LAYERS:
            continue
        for parent_app, parent in node.dependencies:
            if parent_app in LAYERS and LAYERS.index(parent_app) > LAYERS.index(app):
                wrong.append(f"{app}.{name} -> {parent_app}.{parent}")
    assert wrong == []


def test_the_disposal_app_fills_the_slots_claims_leaves_for_it():
    from claims import extensions

    assert extensions.disposal_status.providers() == ["disposal.selectors.disposal_status_for_claim"]
    assert extensions.nearest_centres.providers() == ["disposal.selectors.nearest_centres"]
    assert extensions.received_email_sections.providers() == [
        "disposal.selectors.nearest_facilities_email_section"
    ]
    assert extensions.return_kit_summary.providers() == ["disposal.selectors.return_kit_for_claim"]
    assert extensions.return_kit_offered.providers() == ["disposal.selectors.return_kit_offered"]
    assert extensions.return_kit_order.providers() == ["disposal.services.return_kit_order_summary"]


def test_each_role_grant_names_a_permission_that_exists(db):
    from django.apps import apps
    from django.contrib.auth.models import Permission

    from core.roles import app_grants

    for app_config in apps.get_app_configs():
        for role, codenames in app_grants(app_config.name).items():
            known = set(
                Permission.objects.filter(content_type__app_label=app_config.label).values_list(
                    "codename", flat=True
                )
            )
            assert set(codenames) <= known, (app_config.label, role, set(codenames) - known)


def test_every_outbox_topic_has_its_delivery():
    from core.models import OutboxMessage
    from core.outbox import outbox_topics

    assert outbox_topics() == {
        OutboxMessage.Topic.CLAIM_EMAIL: "claims.outbox.claim_email_deliver",
        OutboxMessage.Topic.GIFT_CARD_ISSUED: "fulfilment.services.gift_card_webhook_deliver",
        OutboxMessage.Topic.NOTICE_SMS: "outreach.services.sms_webhook_deliver",
        OutboxMessage.Topic.STAFF_EMAIL: "incidents.notifications.staff_email_deliver",
        OutboxMessage.Topic.RETURN_KIT_ORDERED: "disposal.services.return_kit_webhook_deliver",
    }


def test_the_incidents_app_fills_the_slots_left_for_it():
    from claims import extensions
    from core.admin_site import admin_index_sections

    assert extensions.status_page_links.providers() == ["incidents.views.incident_link_for_claim"]
    assert admin_index_sections.providers() == ["incidents.admin.incidents_index_section"]


def test_the_outreach_app_fills_the_slots_claims_leaves_for_it():
    from claims import extensions

    assert extensions.serial_checked_from.providers() == ["outreach.services.notice_checked_from"]
    assert extensions.claim_made_from.providers() == ["outreach.services.notice_claim_attribute"]
    assert extensions.retention_erasers.providers() == ["outreach.privacy.known_owners_retention"]


def test_the_fulfilment_app_fills_the_slots_claims_leaves_for_it():
    from claims import extensions

    assert extensions.fulfilment_summary.providers() == ["fulfilment.selectors.fulfilment_for_claim"]
    assert extensions.fulfilment_line_for_agents.providers() == [
        "fulfilment.selectors.fulfilment_line_for_agents"
    ]
    assert extensions.personal_data_erasers.providers() == ["fulfilment.services.replacement_erase_address"]


def test_the_reports_app_fills_the_slots_recalls_and_claims_leave_for_it():
    from claims import extensions as claims_extensions
    from recalls import extensions as recalls_extensions

    assert recalls_extensions.serial_checked.providers() == ["reports.tallies.serial_check_count"]
    assert claims_extensions.status_links_requested.providers() == ["reports.services.status_links_count"]
