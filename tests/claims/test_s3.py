"""Uploads on S3 (production storage): stored privately, never readable from a plain URL."""

import io
import os
import re
import uuid

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image

from claims.models import ClaimDocument
from tests.claims.conftest import jpeg_with_gps, submit, upload

ENDPOINT = os.environ.get("AWS_S3_ENDPOINT_URL", "")

pytestmark = [
    pytest.mark.s3,
    pytest.mark.django_db,
    pytest.mark.skipif(not ENDPOINT, reason="needs an S3 server: set AWS_S3_ENDPOINT_URL (and its keys)"),
]


@pytest.fixture
def bucket():
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        region_name=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
    )
    name = f"claims-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield s3, name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def s3_storage(settings, bucket):
    _, name = bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": ENDPOINT,
                "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
                "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
                "region_name": os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
    }
    return bucket


def test_upload_is_stored_privately_on_s3(api, us_recall, s3_storage):
    s3, name = s3_storage
    sent = jpeg_with_gps()

    response = submit(api, files={"product_photo": upload(sent, "IMG_0042.jpg")})

    # then the re-encoded photo is in the bucket, under a random name in the day's folder, without its EXIF
    assert response.status_code == 201
    document = ClaimDocument.objects.get()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=name)["Contents"]]
    assert keys == [document.file.name]
    assert re.fullmatch(r"claims/\d{4}-\d{2}-\d{2}/[0-9a-f]{32}\.jpg", document.file.name)
    kept = s3.get_object(Bucket=name, Key=document.file.name)["Body"].read()
    assert dict(Image.open(io.BytesIO(kept)).getexif()) == {}

    # and nobody reads it without credentials
    plain_url = f"{ENDPOINT.rstrip('/')}/{name}/{document.file.name}"
    anonymous = requests.get(plain_url, timeout=10)
    assert anonymous.status_code in (401, 403), anonymous.status_code
    assert kept not in anonymous.content

    # while the short-lived signed URL the admin hands to agents does work
    signed_url = default_storage.url(document.file.name)
    assert "Signature=" in signed_url
    signed = requests.get(signed_url, timeout=10)
    assert (signed.status_code, signed.content) == (200, kept)


def test_refused_upload_puts_nothing_in_the_bucket(api, us_recall, s3_storage):
    s3, name = s3_storage

    response = submit(api, files={"product_photo": upload(b"<svg/>", "label.svg", "image/svg+xml")})

    assert response.status_code == 400
    assert s3.list_objects_v2(Bucket=name).get("Contents", []) == []


def test_files_no_claim_kept_are_swept_from_the_bucket(api, us_recall, s3_storage):
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from claims.models import document_storage, new_document_name
    from claims.privacy import documents_orphaned_delete

    s3, name = s3_storage
    submit(api, files={"product_photo": upload(jpeg_with_gps(), "IMG_0042.jpg")})
    kept = ClaimDocument.objects.get().file.name
    orphan = document_storage().save(new_document_name("image/jpeg"), ContentFile(b"a claim that failed"))

    assert documents_orphaned_delete() == 0  # younger than an hour: its claim may still be committing
    assert documents_orphaned_delete(now=timezone.now() + datetime.timedelta(hours=2)) == 1
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=name)["Contents"]]
    assert keys == [kept] and orphan not in keys
