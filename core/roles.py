"""The staff roles. Each app says what its own models let each role do, in ``GRANTS`` of its
``roles.py``, and grants it in a data migration of its own (``roles_grant``), so no app's migration
reaches into another's. ``roles_sync`` applies every app's grants at once (the demo, the tests).
"""

from __future__ import annotations

from importlib import import_module

SUPPORT_AGENT = "Support agent"
SUPERVISOR = "Supervisor"
ROLES = (SUPPORT_AGENT, SUPERVISOR)

Grants = dict[str, list[str]]  # role -> codenames of one app's permissions

# The kernel's own: supervisors see the outbox and send dead letters again.
GRANTS: Grants = {SUPERVISOR: ["view_outboxmessage", "view_deliveryattempt", "retry_outboxmessage"]}


def _create_permissions(apps, app_label: str) -> None:
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    # A migration's app configs have no models module, and create_permissions skips those.
    original = getattr(app_config, "models_module", None)
    app_config.models_module = original or True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = original


def roles_grant(apps, app_label: str, grants: Grants) -> None:
    """Give each role exactly ``grants[role]`` of ``app_label``'s permissions (``apps``: a migration's
    or the registry); the role's permissions of other apps stay as they are."""
    _create_permissions(apps, app_label)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    of_app = permission_model.objects.filter(content_type__app_label=app_label)
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.remove(*group.permissions.filter(content_type__app_label=app_label))
        group.permissions.add(*of_app.filter(codename__in=grants.get(role, [])))


def app_grants(app_label: str) -> Grants:
    """An app's ``GRANTS``, or none if it has no ``roles`` module."""
    try:
        module = import_module(f"{app_label}.roles")
    except ModuleNotFoundError:
        return {}
    return getattr(module, "GRANTS", {})


def roles_sync() -> None:
    """Every installed app's grants, as its migrations give them."""
    from django.apps import apps

    for app_config in apps.get_app_configs():
        grants = app_grants(app_config.name)
        if grants:
            roles_grant(apps, app_config.label, grants)
