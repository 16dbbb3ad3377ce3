"""Settings: embedded defaults first, then STORYBANK_* environment variables over them."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ENV_PREFIX = "STORYBANK_"

# Each setting: name -> (default, parser). Defaults that depend on the instance folder are
# filled in by `load_settings`.
_INT_SETTINGS = {
    "MAX_TEXT_BYTES": 200_000,
    "MAX_AUDIO_BYTES": 500 * 1024 * 1024,
    "MAX_AUDIO_SECONDS": 3 * 60 * 60,
    "LOGIN_ATTEMPTS_PER_MINUTE": 10,
    # A login session ends after this long without a request, and after this long in any case.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # Per account: wrong passwords or codes in a row allowed before the account waits, the first
    # wait (doubling with each further failure) and the longest wait.
    "LOGIN_FAILURES_BEFORE_DELAY": 5,
    "LOGIN_DELAY_SECONDS": 30,
    "LOGIN_DELAY_MAX_SECONDS": 900,
    "WORKER_THREADS": 1,
    # Job workers run at this lower CPU priority (nice), so pages stay quick while Whisper works.
    "WORKER_NICE": 10,
    "JOB_LEASE_SECONDS": 600,
    "JOB_MAX_ATTEMPTS": 3,
    # Any count people see (packs, charts, exports, the API) below this shows as "fewer than N".
    "SMALL_COUNT_THRESHOLD": 5,
    # Relevance for a very common word is ranked among this many newest matches (0: all).
    "SEARCH_RANK_CAP": 1000,
    # A half-written upload or empty folder untouched this long is swept away.
    "UPLOAD_GRACE_SECONDS": 3600,
    # Resumable (tus) uploads: the browser sends a recording in chunks of this size, an
    # unfinished upload is kept this long, and a person may have this many unfinished at once.
    "UPLOAD_CHUNK_BYTES": 1024 * 1024,
    "UPLOAD_KEEP_HOURS": 72,
    "UPLOADS_UNFINISHED_PER_PERSON": 5,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
    "TRUSTED_PROXIES": 0,
}
_STR_SETTINGS = {
    "ENV": "development",
    "DATABASE_URL": "",
    "QUEUE_URL": "",
    "MEDIA_URL": "",
    "SECRET_KEY": "",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Whether approval waits for the storyteller's check of the anonymised story.
    "STORYTELLER_CHECK": "required",
    # Requests each research API token may make (flask-limiter syntax).
    "API_RATE_LIMIT": "120 per minute",
    # Where a large .qdpx export is assembled before it is sent (empty: the system's temp dir).
    "EXPORT_TEMP_DIR": "",
    # Where erasures are logged apart from the database, for restores (empty: instance/erasure-log).
    "ERASURE_LOG_URL": "",
}


def _parse_bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def read_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Return the settings given by STORYBANK_* environment variables."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name, default in _INT_SETTINGS.items():
        raw = environ.get(ENV_PREFIX + name)
        settings[name] = int(raw) if raw not in (None, "") else default
    for name, default in _STR_SETTINGS.items():
        raw = environ.get(ENV_PREFIX + name)
        settings[name] = raw if raw not in (None, "") else default
    settings["SESSION_COOKIE_SECURE"] = _parse_bool(
        environ.get(ENV_PREFIX + "SECURE_COOKIES", "false")
    )
    return settings


class ConfigurationError(RuntimeError):
    """Raised when the app cannot start safely with the settings it was given."""


def load_secret_key(instance_path: Path, configured: str, production: bool) -> str:
    """Return the secret key: the configured one, the instance file's, or a new one.

    A new key is generated into the instance folder only outside production; production
    refuses to start without a key it was given, so that restarts never rotate sessions
    silently and no key is ever hard-coded.
    """
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if production:
        raise ConfigurationError(
            "STORYBANK_SECRET_KEY is not set. In production Storybank will not start without a "
            "secret key: set STORYBANK_SECRET_KEY to a long random value."
        )
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _storyteller_check(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"required", "optional"}:
        raise ConfigurationError(
            f"STORYBANK_STORYTELLER_CHECK is {raw!r}. Set it to 'required' (approval waits for "
            "the storyteller to agree to the anonymised story) or 'optional'."
        )
    return value


def build_config(instance_path: Path, root_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from defaults and the environment."""
    settings = read_environment()
    production = settings["ENV"] == "production"
    database_url = settings["DATABASE_URL"] or f"sqlite:///{instance_path / 'storybank.sqlite3'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    queue_url = settings["QUEUE_URL"] or f"sqlite:///{instance_path / 'queue.sqlite3'}"
    media_url = settings["MEDIA_URL"] or f"file://{root_path / 'media'}"
    return {
        "STORYBANK_ENV": settings["ENV"],
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a failed statement's values (story text, emails) never reach a log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "QUEUE_URL": queue_url,
        "MEDIA_URL": media_url,
        "SECRET_KEY_SETTING": settings["SECRET_KEY"],
        "MAX_TEXT_BYTES": settings["MAX_TEXT_BYTES"],
        "MAX_AUDIO_BYTES": settings["MAX_AUDIO_BYTES"],
        "MAX_AUDIO_SECONDS": settings["MAX_AUDIO_SECONDS"],
        # The request cap sits just above the largest upload so the form can say what is wrong.
        "MAX_CONTENT_LENGTH": settings["MAX_AUDIO_BYTES"] + 1024 * 1024,
        "LOGIN_ATTEMPTS_PER_MINUTE": settings["LOGIN_ATTEMPTS_PER_MINUTE"],
        "TRUSTED_PROXIES": max(0, settings["TRUSTED_PROXIES"]),
        "WORKER_NICE": min(19, max(0, settings["WORKER_NICE"])),
        "SESSION_IDLE_MINUTES": max(1, settings["SESSION_IDLE_MINUTES"]),
        "SESSION_MAX_HOURS": max(1, settings["SESSION_MAX_HOURS"]),
        # The cookie expires with the session's absolute lifetime, not "when the browser closes".
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=max(1, settings["SESSION_MAX_HOURS"])),
        "LOGIN_FAILURES_BEFORE_DELAY": max(1, settings["LOGIN_FAILURES_BEFORE_DELAY"]),
        "LOGIN_DELAY_SECONDS": max(1, settings["LOGIN_DELAY_SECONDS"]),
        "LOGIN_DELAY_MAX_SECONDS": max(1, settings["LOGIN_DELAY_MAX_SECONDS"]),
        "WORKER_THREADS": settings["WORKER_THREADS"],
        "JOB_LEASE_SECONDS": settings["JOB_LEASE_SECONDS"],
        "JOB_MAX_ATTEMPTS": settings["JOB_MAX_ATTEMPTS"],
        "SMALL_COUNT_THRESHOLD": max(1, settings["SMALL_COUNT_THRESHOLD"]),
        "SEARCH_RANK_CAP": max(0, settings["SEARCH_RANK_CAP"]),
        "STORYTELLER_CHECK": _storyteller_check(settings["STORYTELLER_CHECK"]),
        "RATELIMIT_STORAGE_URI": settings["RATELIMIT_STORAGE_URI"],
        "API_RATE_LIMIT": settings["API_RATE_LIMIT"],
        "EXPORT_TEMP_DIR": settings["EXPORT_TEMP_DIR"],
        "UPLOAD_GRACE_SECONDS": max(60, settings["UPLOAD_GRACE_SECONDS"]),
        "ERASURE_LOG_URL": settings["ERASURE_LOG_URL"],
        "UPLOAD_CHUNK_BYTES": min(64 * 1024 * 1024, max(16 * 1024, settings["UPLOAD_CHUNK_BYTES"])),
        "UPLOAD_KEEP_HOURS": max(1, settings["UPLOAD_KEEP_HOURS"]),
        "UPLOADS_UNFINISHED_PER_PERSON": max(1, settings["UPLOADS_UNFINISHED_PER_PERSON"]),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings["SESSION_COOKIE_SECURE"] or production,
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": 8 * 60 * 60,
        "QUEUE_IMMEDIATE": False,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }
