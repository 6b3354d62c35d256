"""Trainers' Network: the app factory. Wiring only: no queries, no threads."""

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEV_SECRET_KEY, INSTANCE, ROOT, Config
from trainers.extensions import csrf, db, login_manager, migrate
from trainers.limits import limiter
from trainers.logredact import RedactSecrets


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `Config`, with any keys of `test_config` overriding it."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    _check_production_settings(app)
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Web, scheduler and hand-run jobs may write at once: wait for the lock.
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    else:
        # A pooled connection the server or a firewall dropped is replaced
        # before anyone is handed it.
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # The client's address and scheme as the proxies saw them; headers a
        # client sends itself are ignored beyond the configured hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    INSTANCE.mkdir(exist_ok=True)  # the default SQLite file and dev mail live here
    _log_to_stderr()

    from trainers import models  # noqa: F401 - every table on the metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "trainers" / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from trainers import web

    web.init_app(app)
    return app


def _log_to_stderr() -> None:
    # Unless logging is set up already. Flask logs "Exception on <path>", and a
    # path may hold a private link's token.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def _check_production_settings(app: Flask) -> None:
    if app.config["APP_ENV"] != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "APP_ENV=production needs SECRET_KEY set to a random value of at least "
            '32 characters (python -c "import secrets; print(secrets.token_hex(32))").'
        )
    app.config.update(SESSION_COOKIE_SECURE=True)
