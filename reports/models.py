from django.conf import settings
from django.db import models

from recalls.models import ProductModel, Recall


class RecallReport(models.Model):
    """No table: the admin's entry for the regulator report, and the permission to read it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_recall_report", "Can view the recall report"),
            ("lock_monthly_report", "Can lock a month's progress report once submitted"),
        ]
        verbose_name = "recall report"
        verbose_name_plural = "recall report"

    def __str__(self) -> str:
        return "Recall report"


class DistributionLevel(models.TextChoices):
    """Where recalled units sat, as the CPSC's monthly progress report counts them. Consumers' units are
    the programme's own claims: their counts come from the remedies issued, not from this form."""

    MANUFACTURER = "manufacturer", "Manufacturer"
    DISTRIBUTOR = "distributor", "Distributors"
    RETAILER = "retailer", "Retailers"


class StockCount(models.Model):
    """Units of a recall held at one distribution level in one month, and how many of them were
    corrected (returned, reworked or destroyed) that month: entered by supervisors from the trade's
    own reports."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="stock_counts")
    month = models.DateField(help_text="The first day of the month the counts are for.")
    level = models.CharField(max_length=12, choices=DistributionLevel.choices)
    units_held = models.PositiveBigIntegerField(help_text="Units at this level at the end of the month.")
    units_corrected = models.PositiveBigIntegerField(help_text="Units at this level corrected in the month.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recall", "-month", "level"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "month", "level"], name="stock_count_once_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="stock_count_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.recall} {self.month:%Y-%m} {self.get_level_display()}"


class MonthlyReportLock(models.Model):
    """A month's progress report of one recall as it was submitted: what it said, kept as it was."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="monthly_report_locks")
    month = models.DateField(help_text="The first day of the month reported.")
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    locked_at = models.DateTimeField()
    figures = models.JSONField(help_text="The report's figures as they were when it was locked.")
    csv = models.BinaryField()
    pdf = models.BinaryField()

    class Meta:
        ordering = ["recall", "-month"]
        constraints = [models.UniqueConstraint(fields=["recall", "month"], name="monthly_report_locked_once")]

    def __str__(self) -> str:
        return f"{self.recall} {self.month:%Y-%m} (locked)"


class SerialCheckTally(models.Model):
    """Serial checks per day (UTC), model, country and the recall that covered the unit (``recall_code``
    empty when none did), added up from each process's buffer (``reports.tallies``)."""

    day = models.DateField()
    model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="+")
    country = models.CharField(max_length=2)
    recall_code = models.CharField(max_length=64, blank=True)
    checks = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model", "country", "recall_code"], name="serial_check_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model_id} {self.country} {self.recall_code or '-'}: {self.checks}"


class StatusLinkRequest(models.Model):
    """A customer asked for their claims' status links: one row per recall of the address's claims."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.recall_id} {self.channel} {self.requested_at:%Y-%m-%d}"
