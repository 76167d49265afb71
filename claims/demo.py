"""The demo support agent and supervisor, so that ``make run`` can show the admin straight away."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.roles import SUPERVISOR, SUPPORT_AGENT, roles_sync

DEMO_AGENT_USERNAME = "agent"
DEMO_AGENT_PASSWORD = "recall-demo-agent"  # noqa: S105 - printed by `make run`; demo data only
DEMO_SUPERVISOR_USERNAME = "supervisor"
DEMO_SUPERVISOR_PASSWORD = "recall-demo-supervisor"  # noqa: S105 - printed by `make run`; demo data only

DEMO_STAFF = [
    (DEMO_AGENT_USERNAME, DEMO_AGENT_PASSWORD, "Agent", SUPPORT_AGENT),
    (DEMO_SUPERVISOR_USERNAME, DEMO_SUPERVISOR_PASSWORD, "Supervisor", SUPERVISOR),
]


def load() -> str:
    roles_sync()
    user_model = get_user_model()
    loaded = []
    for username, password, last_name, role in DEMO_STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "first_name": "Demo",
                "last_name": last_name,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        loaded.append(f"demo {last_name.lower()} {username!r} ({'created' if created else 'kept'})")
    return ", ".join(loaded)
