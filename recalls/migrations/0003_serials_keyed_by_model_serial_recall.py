from django.db import migrations, models

# The table is rebuilt rather than altered: SQLite cannot add a primary key to a table, and the same
# statements keep every listed serial on both databases.
REBUILD = [
    """CREATE TABLE recalls_recalledserial_keyed (
        serial varchar(32) NOT NULL,
        batch_id bigint NOT NULL,
        model_id bigint NOT NULL,
        recall_id bigint NOT NULL,
        PRIMARY KEY (model_id, serial, recall_id)
    )""",
    """INSERT INTO recalls_recalledserial_keyed (serial, batch_id, model_id, recall_id)
        SELECT serial, batch_id, model_id, recall_id FROM recalls_recalledserial""",
    "DROP TABLE recalls_recalledserial",
    "ALTER TABLE recalls_recalledserial_keyed RENAME TO recalls_recalledserial",
]


class Migration(migrations.Migration):
    dependencies = [
        ("recalls", "0002_serials_without_constraints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(REBUILD)],
            state_operations=[
                migrations.RemoveConstraint(model_name="recalledserial", name="serial_listed_once_per_recall"),
                migrations.RemoveField(model_name="recalledserial", name="id"),
                migrations.AddField(
                    model_name="recalledserial",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "model", "serial", "recall", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
        ),
    ]
