"""Settings and the secret key."""

from __future__ import annotations

import stat

import pytest

from storybank.config import ConfigurationError
from storybank.config import build_config
from storybank.config import load_secret_key
from storybank.config import read_environment


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    key = load_secret_key(tmp_path, configured="", production=False)
    assert len(key) >= 48
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_secret_key(tmp_path, configured="", production=False) == key


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigurationError, match="STORYBANK_SECRET_KEY"):
        load_secret_key(tmp_path, configured="", production=True)
    assert not (tmp_path / "secret_key").exists()


def test_production_uses_the_configured_key(tmp_path):
    assert load_secret_key(tmp_path, configured="given", production=True) == "given"


def test_create_app_in_production_without_a_key_refuses(monkeypatch, tmp_path):
    from storybank import create_app

    monkeypatch.setenv("STORYBANK_ENV", "production")
    monkeypatch.setenv("STORYBANK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("STORYBANK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("STORYBANK_SECRET_KEY", "a-long-random-production-key")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-long-random-production-key"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_overrides_the_defaults():
    settings = read_environment({"STORYBANK_MAX_TEXT_BYTES": "1234", "STORYBANK_ENV": "production"})
    assert settings["MAX_TEXT_BYTES"] == 1234
    assert settings["ENV"] == "production"
    assert read_environment({})["MAX_TEXT_BYTES"] == 200_000


def test_the_sweep_grace_and_erasure_log_are_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYBANK_UPLOAD_GRACE_SECONDS", "7200")
    monkeypatch.setenv("STORYBANK_ERASURE_LOG_URL", "file:///srv/log")
    config = build_config(tmp_path, tmp_path)
    assert config["UPLOAD_GRACE_SECONDS"] == 7200
    assert config["ERASURE_LOG_URL"] == "file:///srv/log"
    monkeypatch.setenv("STORYBANK_UPLOAD_GRACE_SECONDS", "1")  # too short to be safe
    assert build_config(tmp_path, tmp_path)["UPLOAD_GRACE_SECONDS"] == 60
