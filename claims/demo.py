"""The demo support agent, so that ``make run`` can show the admin straight away."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.roles import SUPPORT_AGENT, roles_sync

DEMO_AGENT_USERNAME = "agent"
DEMO_AGENT_PASSWORD = "recall-demo-agent"  # noqa: S105 - printed by `make run`; demo data only


def load() -> str:
    roles_sync()
    user_model = get_user_model()
    agent, created = user_model.objects.get_or_create(
        username=DEMO_AGENT_USERNAME,
        defaults={"is_staff": True, "first_name": "Demo", "last_name": "Agent", "email": "agent@example.com"},
    )
    if created:
        agent.set_password(DEMO_AGENT_PASSWORD)
        agent.save(update_fields=["password"])
    agent.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    return f"demo agent {DEMO_AGENT_USERNAME!r} ({'created' if created else 'kept'})"
