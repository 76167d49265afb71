"""The fraud checks' indexes, built without blocking a live programme's claims (PostgreSQL)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("claims", "0010_fraud_checks"),
    ]

    operations = [
        RemoveIndexConcurrently(
            model_name='claim',
            name='claim_postal_code',
        ),
        AddIndexConcurrently(
            model_name='claim',
            index=models.Index(fields=['email_key'], name='claim_email_key'),
        ),
        AddIndexConcurrently(
            model_name='claim',
            index=models.Index(fields=['address_key'], name='claim_address_key'),
        ),
        AddIndexConcurrently(
            model_name='claimdocument',
            index=models.Index(fields=['fingerprint_band_0'], name='document_fingerprint_0'),
        ),
        AddIndexConcurrently(
            model_name='claimdocument',
            index=models.Index(fields=['fingerprint_band_1'], name='document_fingerprint_1'),
        ),
        AddIndexConcurrently(
            model_name='claimdocument',
            index=models.Index(fields=['fingerprint_band_2'], name='document_fingerprint_2'),
        ),
        AddIndexConcurrently(
            model_name='claimdocument',
            index=models.Index(fields=['fingerprint_band_3'], name='document_fingerprint_3'),
        ),
    ]
