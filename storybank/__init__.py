"""Storybank: gather, transcribe, anonymise and theme community reporters' stories."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from storybank.config import build_config
from storybank.config import load_secret_key
from storybank.core.ids import RowIdConverter
from storybank.core.ids import StoryIdConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: settings, extensions, queue, blueprints and error pages."""
    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("STORYBANK_INSTANCE_PATH")
        or None,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    instance_path = Path(app.instance_path)
    app.config.from_mapping(build_config(instance_path, PROJECT_ROOT))
    if test_config:
        app.config.update(test_config)
    production = app.config["STORYBANK_ENV"] == "production"
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or load_secret_key(
        instance_path, app.config["SECRET_KEY_SETTING"], production
    )
    app.config.pop("SECRET_KEY_SETTING", None)

    _init_extensions(app)
    # Before any route is added: every <int:...> in a URL is a row id the database can hold.
    app.url_map.converters["int"] = RowIdConverter
    # A story is named by its public id (never its row id); views still get the row id.
    app.url_map.converters["story"] = StoryIdConverter
    _register_blueprints(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind N proxies, the client's address (login limits, audit) is the one they saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    from storybank import cli

    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from storybank import models  # noqa: F401 - every table, for Alembic and create_all
    from storybank.core import security
    from storybank.core.storage import storage_from_url
    from storybank.extensions import csrf
    from storybank.extensions import db
    from storybank.extensions import limiter
    from storybank.extensions import login_manager
    from storybank.extensions import migrate
    from storybank.pipeline import queue

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    queue.init_app(app)
    app.extensions["storybank_storage"] = storage_from_url(app.config["MEDIA_URL"])


def _register_blueprints(app: Flask) -> None:
    from storybank.accounts.views import bp as auth_bp
    from storybank.admin.views import bp as admin_bp
    from storybank.anonymise.views import bp as anonymise_bp
    from storybank.api.token_views import bp as api_tokens_bp
    from storybank.api.views import bp as api_bp
    from storybank.charts.views import bp as charts_bp
    from storybank.check.views import bp as check_bp
    from storybank.core.web import init_app as init_web
    from storybank.curate.views import bp as events_bp
    from storybank.exports.views import bp as exports_bp
    from storybank.privacy.views import bp as privacy_bp
    from storybank.search.views import bp as research_bp
    from storybank.stories.views import bp as stories_bp
    from storybank.stories.views import review_bp
    from storybank.tag.views import bp as themes_bp
    from storybank.uploads.views import bp as uploads_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(stories_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(anonymise_bp)
    app.register_blueprint(check_bp)
    app.register_blueprint(themes_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(charts_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(research_bp)
    app.register_blueprint(uploads_bp)
    init_web(app)
