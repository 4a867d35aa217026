"""Tirage: a community marketplace for limited-edition T-shirts."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, test_config: dict | None = None) -> Flask:
    load_dotenv(PROJECT_ROOT / ".env")
    from app.config import CONFIGS, ProductionConfig, engine_options

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
    )
    config_name = config_name or os.environ.get("TIRAGE_ENV", "development")
    app.config.from_object(CONFIGS[config_name])
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI") and config_name != "production":
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'tirage.db'}"
    if config_name == "production":
        ProductionConfig.check(app.config)
    else:
        _allow_test_email_domain()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_middleware(app)
    return app


def _allow_test_email_domain() -> None:
    """The demo accounts live at @tirage.test, a reserved domain that email-validator refuses."""
    import email_validator

    if "test" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("test")


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the visitor's address, scheme and host are the ones
    the proxies forward (rate limits key on the visitor, not on nginx); with none, the headers
    are ignored, since any client can send them."""
    count = app.config.get("TRUSTED_PROXIES") or 0
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_middleware(app: Flask) -> None:
    """What answers before Flask: kept pages (app.pagecache) and votes (app.rounds.fast_vote), both
    behind the proxies' headers, read first, so that each sees the visitor's address, scheme and host."""
    from app import pagecache
    from app.rounds import fast_vote

    pagecache.init_app(app)
    fast_vote.init_app(app)
    trust_proxies(app)


def register_extensions(app: Flask) -> None:
    from app import errors, i18n, models, outbox, pagecache, security, storage, tasks, templating  # noqa: F401 (models)
    from app.extensions import babel, cache, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories="translations")
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    from app.accounts.loader import load_user

    login_manager.user_loader(load_user)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    storage.init_app(app)
    outbox.init_app(app)
    tasks.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app import accounts, admin, designs, legal, main, payouts, rounds, shop
    from app.security import BoundedIntegerConverter

    # Before any route is added: every <int:...> in a URL refuses what no column can hold (404).
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.register_blueprint(main.bp)
    app.register_blueprint(designs.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(shop.bp)
    app.register_blueprint(payouts.bp)
    app.register_blueprint(accounts.bp, url_prefix="/account")
    app.register_blueprint(admin.bp, url_prefix="/console")
    app.register_blueprint(legal.bp)


def register_commands(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.demo.cli import demo_cli
    from app.mail_cli import mail_cli
    from app.payouts.cli import payouts_cli
    from app.rounds.cli import rounds_cli
    from app.shop.cli import shop_cli
    from app.seed import seed_command

    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(rounds_cli)
    app.cli.add_command(shop_cli)
    app.cli.add_command(payouts_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_cli)
