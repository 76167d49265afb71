from django.db import models


class RecallReport(models.Model):
    """No table: the admin's entry for the regulator report, and the permission to read it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_recall_report", "Can view the recall report")]
        verbose_name = "recall report"
        verbose_name_plural = "recall report"

    def __str__(self) -> str:
        return "Recall report"
