"""The staff roles and what each may do. Applied by a data migration and kept in step by ``sync_roles``."""

SUPPORT_AGENT = "Support agent"
SUPERVISOR = "Supervisor"

_AGENT = [
    "claims.view_claim",
    "claims.review_claim",
    "claims.view_claimdocument",
    "claims.view_claimevent",
    "claims.view_claimflag",
    "claims.view_giftcard",
    "claims.view_replacement",
]
_RECALL_DATA = [
    f"recalls.{action}_{model}"
    for model in ["productmodel", "recall", "marketrule", "recalledbatch", "batchmarket", "serialrange"]
    for action in ["view", "add", "change", "delete"]
] + ["recalls.view_recalledserial"]
_SUPERVISOR = [
    *_AGENT,
    "claims.view_refund",
    "claims.export_refunds",
    "claims.view_outboxmessage",
    "claims.view_deliveryattempt",
    "claims.retry_work",
    *_RECALL_DATA,
    *[f"disposal.{a}_recyclingfacility" for a in ["view", "add", "change"]],
    *[f"disposal.{a}_facilitycertification" for a in ["view", "add", "change", "delete"]],
    "disposal.view_disposalconfirmation",
    "reports.view_recall_report",
]
ROLES: dict[str, list[str]] = {SUPPORT_AGENT: _AGENT, SUPERVISOR: _SUPERVISOR}


def roles_sync(apps) -> None:
    """Create the groups and give them exactly their permissions (``apps``: a migration's or the registry).

    Permissions of apps not migrated yet are left out; the migration that creates them runs this again.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's app configs have no models module, and create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted += permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(wanted)
