"""Backup and restore with media in S3 (moto's in-process S3; skipped where moto is missing)."""

from __future__ import annotations

import hashlib
import os

import pytest

from storybank.backup.services import create_backup
from storybank.backup.services import restore_backup
from storybank.extensions import db
from tests.backup.conftest import build_source
from tests.backup.conftest import table_rows

moto = pytest.importorskip("moto")


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("STORYBANK_S3_ENDPOINT", raising=False)
    with moto.mock_aws():
        import boto3

        client = boto3.client("s3")
        for bucket in ("storybank-source", "storybank-target"):
            client.create_bucket(Bucket=bucket)
        yield client


def _objects(client, bucket: str) -> dict[str, str]:
    found = {}
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        found[item["Key"].removeprefix("media/")] = hashlib.sha256(body).hexdigest()
    return found


def test_media_in_s3_are_backed_up_and_restored(s3, make_app, erasure_log, tmp_path):
    if os.environ.get("STORYBANK_DATABASE_URL"):
        pytest.skip("the S3 path is the same on both databases; the round trip is on SQLite")
    source = build_source(make_app, erasure_log, MEDIA_URL="s3://storybank-source/media")
    folder = tmp_path / "backup"
    with source.app.app_context():
        create_backup(folder)
    (tmp_path / "restored").mkdir()
    target = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'restored' / 'storybank.sqlite3'}",
        MEDIA_URL="s3://storybank-target/media",
        ERASURE_LOG_URL=erasure_log,
    )

    with target.app_context():
        summary = restore_backup(folder)
        db.session.remove()

    media = _objects(s3, "storybank-source")
    assert len(media) >= 2 and summary.media_files == len(media)
    assert _objects(s3, "storybank-target") == media
    assert table_rows(target) == table_rows(source.app)
