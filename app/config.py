"""Configuration classes, read from the environment (and an optional `.env`)."""
from __future__ import annotations

import os

from app import palette

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
# Defaults the models' columns share with the configuration: one definition of each.
DEFAULTS = {
    "ROUND_WINNERS": 1,
    "ROUND_BOUNTY_CENTS": 100_000,
    "ROUND_ROYALTY_CENTS": 100,
    "ROUND_EDITION_SIZE": 300,
    "RANKING_WEIGHT": 10,
    "DEFAULT_PRICE_CENTS": 3000,
}


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _palette(value: str) -> dict[str, str]:
    """'white:#f7f7f5,black:#1d1d1f' -> {'white': '#f7f7f5', 'black': '#1d1d1f'}"""
    pairs = (item.split(":", 1) for item in value.split(",") if item.strip())
    return {name.strip(): colour.strip() for name, colour in pairs}


def engine_options(config) -> dict:
    """SQLAlchemy engine options: the configured ones plus timeouts, so that a database that
    accepts connections but never answers fails requests in seconds instead of hanging workers."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", config["DATABASE_CONNECT_TIMEOUT"])
        if config["DATABASE_STATEMENT_TIMEOUT_MS"] > 0:
            connect_args = with_statement_timeout(connect_args, config["DATABASE_STATEMENT_TIMEOUT_MS"])
        options["connect_args"] = connect_args
        options.setdefault("pool_timeout", config["DATABASE_POOL_TIMEOUT"])
    return options


def with_statement_timeout(connect_args: dict, milliseconds: int) -> dict:
    """libpq connect arguments with a statement timeout added to any server options already there."""
    options = f"{connect_args.get('options', '')} -c statement_timeout={milliseconds}".strip()
    return {**connect_args, "options": options}


class Config:
    """Development defaults: everything works on a laptop with no services configured."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means "a SQLite file in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # A database that accepts connections but never answers must not hang every worker:
    # seconds to open a connection, milliseconds a statement may run (0: no limit), and seconds
    # to wait for a free pooled connection. Applied to PostgreSQL in create_app.
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASE_STATEMENT_TIMEOUT_MS = _int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000)
    DATABASE_POOL_TIMEOUT = _int("DATABASE_POOL_TIMEOUT", 10)
    # /healthz gives the database this long (seconds) before answering 503.
    HEALTHZ_TIMEOUT = float(os.environ.get("HEALTHZ_TIMEOUT") or 1.5)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SERVER_NAME = os.environ.get("SERVER_NAME")
    # How many reverse proxies (nginx, a load balancer) stand in front of the app. Their
    # X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host are trusted, so rate limits key on
    # the visitor's address; with 0 (direct exposure) those headers are ignored, since anyone can send them.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    # Mail: with no MAIL_SERVER, mails are printed and saved under instance/mail/.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Tirage <no-reply@tirage.local>")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_DURATION = _int("REMEMBER_COOKIE_DAYS", 30) * 86400

    # Largest request body accepted (uploads included), in bytes.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)

    # Background work: Celery on this broker (Redis, e.g. redis://127.0.0.1:6379/0). Unset, tasks
    # run in the web process right after the commit that queued them (no worker needed).
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "tirage")  # one queue per site sharing a broker

    # Caches every web server and worker shares (Redis, e.g. redis://127.0.0.1:6379/1), so no
    # visitor sees what one process happened to remember; unset, one process's memory (development).
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL")
    CACHE_TYPE = "RedisCache" if CACHE_REDIS_URL else "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = _int("CACHE_DEFAULT_TIMEOUT", 60)
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "tirage:")
    # Whole pages for anonymous visitors, kept in that cache and shared (app/pagecache.py).
    PAGE_CACHE = _bool("PAGE_CACHE", True)
    # A plain vote from the page's script answered before Flask, by the same rules (app.rounds.fast_vote).
    FAST_VOTES = _bool("FAST_VOTES", True)

    # Rate limiting: memory by default, Redis when RATELIMIT_STORAGE_URI is set.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "5 per hour")
    # Failed log-ins allowed for one account from one address: a stranger elsewhere cannot use
    # them to lock the owner out. (It also caps registrations per address, and so their mails.)
    ACCOUNT_LOGIN_RATE_LIMIT = os.environ.get("ACCOUNT_LOGIN_RATE_LIMIT", "5 per 15 minutes")
    # Failed log-ins allowed for one account from all addresses together (a distributed attack);
    # reaching it pauses password log-ins for that account and mails its owner, once per window.
    ACCOUNT_LOGIN_CEILING = os.environ.get("ACCOUNT_LOGIN_CEILING", "100 per hour")

    # Accounts.
    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 10)
    EMAIL_TOKEN_MAX_AGE = _int("EMAIL_TOKEN_MAX_AGE", 2 * 86400)
    RESET_TOKEN_MAX_AGE = _int("RESET_TOKEN_MAX_AGE", 3600)
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)

    # Shop: one currency, one timezone, two languages.
    CURRENCY = os.environ.get("CURRENCY", "EUR")
    SHOP_TIMEZONE = os.environ.get("SHOP_TIMEZONE", "Europe/Paris")
    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = SHOP_TIMEZONE  # dates are shown in the shop's time zone

    # Uploads (print files and their renditions) go through the storage service.
    UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT")  # default: <project>/uploads
    # Where: unset (the filesystem at UPLOAD_ROOT), file:///srv/tirage/uploads, or an S3-compatible
    # bucket, s3://bucket/prefix?endpoint_url=http://127.0.0.1:9000&region=eu-west-1 (see app/storage.py).
    STORAGE_URL = os.environ.get("STORAGE_URL")

    # Designs: the print-file rules, the shirt palette and the submission limit.
    PRINT_MAX_BYTES = _int("PRINT_MAX_BYTES", 30 * 1024 * 1024)
    PRINT_MIN_LONG_SIDE = _int("PRINT_MIN_LONG_SIDE", 3000)  # 300 dpi over a 10-inch print
    PRINT_MAX_PIXELS = _int("PRINT_MAX_PIXELS", 60_000_000)
    SHIRT_COLOURS = _palette(os.environ["SHIRT_COLOURS"]) if "SHIRT_COLOURS" in os.environ else dict(palette.SHIRT_COLOURS)
    SUBMISSIONS_PER_ROUND = _int("SUBMISSIONS_PER_ROUND", 5)
    COMMENT_MAX_LENGTH = _int("COMMENT_MAX_LENGTH", 1000)
    GALLERY_PER_PAGE = _int("GALLERY_PER_PAGE", 48)

    # Rounds: the defaults each new monthly round starts with (operators can edit a round).
    ROUND_WINNERS = _int("ROUND_WINNERS", DEFAULTS["ROUND_WINNERS"])
    ROUND_BOUNTY_CENTS = _int("ROUND_BOUNTY_CENTS", DEFAULTS["ROUND_BOUNTY_CENTS"])
    ROUND_ROYALTY_CENTS = _int("ROUND_ROYALTY_CENTS", DEFAULTS["ROUND_ROYALTY_CENTS"])
    ROUND_EDITION_SIZE = _int("ROUND_EDITION_SIZE", DEFAULTS["ROUND_EDITION_SIZE"])
    RANKING_WEIGHT = _int("RANKING_WEIGHT", DEFAULTS["RANKING_WEIGHT"])  # C in the Bayesian average

    # Voting.
    VOTER_MIN_ACCOUNT_AGE_HOURS = _int("VOTER_MIN_ACCOUNT_AGE_HOURS", 24)
    VOTE_RATE_LIMIT = os.environ.get("VOTE_RATE_LIMIT", "120 per minute")
    FRAUD_BURST_ACCOUNTS = _int("FRAUD_BURST_ACCOUNTS", 5)  # new accounts voting one design within an hour

    # Payments: Stripe when a secret key is set, the local sandbox otherwise.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_sandbox_not_secret")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # tests point it at a local emulator
    PAYMENT_BACKEND = os.environ.get("PAYMENT_BACKEND") or ("stripe" if os.environ.get("STRIPE_SECRET_KEY") else "sandbox")
    SHIPPING_COUNTRIES = [c.strip() for c in os.environ.get(
        "SHIPPING_COUNTRIES", "FR,BE,CH,LU,DE,NL,ES,IT,PT,AT,IE,GB,US,CA").split(",") if c.strip()]

    # Shop.
    RESERVATION_MINUTES = _int("RESERVATION_MINUTES", 30)
    MAX_PER_EDITION_PER_ORDER = _int("MAX_PER_EDITION_PER_ORDER", 5)
    DEFAULT_PRICE_CENTS = _int("DEFAULT_PRICE_CENTS", DEFAULTS["DEFAULT_PRICE_CENTS"])
    EDITION_SUGGEST_MULTIPLIER = _int("EDITION_SUGGEST_MULTIPLIER", 3)
    EDITION_MIN_SIZE = _int("EDITION_MIN_SIZE", 100)
    EDITION_MAX_SIZE = _int("EDITION_MAX_SIZE", 1000)  # the suggestion's ceiling and a hard limit
    # Upper bounds of what the console accepts (cents): a shirt's price (royalties included) and a bounty.
    PRICE_MAX_CENTS = _int("PRICE_MAX_CENTS", 100_000)
    BOUNTY_MAX_CENTS = _int("BOUNTY_MAX_CENTS", 10_000_000)

    # The seller, as printed on every receipt: who sells, where, under which company and VAT numbers.
    SELLER_NAME = os.environ.get("SELLER_NAME", "Tirage")
    SELLER_ADDRESS = [line.strip() for line in os.environ.get("SELLER_ADDRESS", "").split(";") if line.strip()]
    SELLER_COMPANY_ID = os.environ.get("SELLER_COMPANY_ID", "")  # e.g. the SIRET in France
    SELLER_VAT_ID = os.environ.get("SELLER_VAT_ID", "")  # e.g. FR12345678901
    # Prices include VAT at this rate, a percentage ("20", "5.5"): receipts show the amount it makes.
    VAT_RATE = os.environ.get("VAT_RATE", "20")

    # Payouts: royalties wait out the refund window; balances under the minimum wait for more.
    ROYALTY_HOLD_DAYS = _int("ROYALTY_HOLD_DAYS", 14)
    PAYOUT_MINIMUM_CENTS = _int("PAYOUT_MINIMUM_CENTS", 2000)
    # "connect": designers onboard with Stripe Connect Express (simulated by the sandbox);
    # "manual": designers give bank details and operators record the transfers they make.
    PAYOUT_METHOD = os.environ.get("PAYOUT_METHOD", "connect")

    # Members' rights: who runs the site, as the legal texts name them ({operator}, {address}...).
    LEGAL_OPERATOR = os.environ.get("LEGAL_OPERATOR", "[Operator's legal name]")
    LEGAL_ADDRESS = os.environ.get("LEGAL_ADDRESS", "[Postal address]")
    LEGAL_CONTACT = os.environ.get("LEGAL_CONTACT", "privacy@tirage.local")
    LEGAL_DIRECTOR = os.environ.get("LEGAL_DIRECTOR", "[Publication director]")
    LEGAL_REGISTRATION = os.environ.get("LEGAL_REGISTRATION", "[Company registration number, VAT number]")
    LEGAL_HOSTING = os.environ.get("LEGAL_HOSTING", "[Hosting provider's name, address and phone]")
    # How long the name and address on an order are kept after the sale for invoices, once the
    # buyer deleted their account: 10 years, as French accounting law keeps accounting records
    # (Code de commerce, art. L123-22). An order not yet shipped keeps its address until shipped.
    INVOICE_RETENTION_YEARS = _int("INVOICE_RETENTION_YEARS", 10)
    DATA_EXPORT_RATE_LIMIT = os.environ.get("DATA_EXPORT_RATE_LIMIT", "5 per hour")

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = True
    # Links in mails sent outside a request (seed, cron) point to `make run`'s address.
    SERVER_NAME = os.environ.get("SERVER_NAME", "127.0.0.1:5000")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")

    @classmethod
    def check(cls, config) -> None:
        """Refuse to start with settings that are only safe on a laptop."""
        secret = config.get("SECRET_KEY")
        if not secret or secret == DEFAULT_SECRET_KEY or len(secret) < 32:
            raise RuntimeError(
                "Refusing to start: set SECRET_KEY to a random value of at least 32 characters "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not config.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("Refusing to start: set DATABASE_URL (PostgreSQL) for production.")
        if config.get("PAYMENT_BACKEND") != "stripe" or not config.get("STRIPE_SECRET_KEY"):
            raise RuntimeError("Refusing to start: the sandbox payment backend is for testing; set STRIPE_SECRET_KEY.")
        if config.get("STRIPE_WEBHOOK_SECRET", "").startswith("whsec_sandbox"):
            raise RuntimeError("Refusing to start: set STRIPE_WEBHOOK_SECRET to your Stripe endpoint's signing secret.")
        if not config.get("SERVER_NAME"):
            raise RuntimeError("Refusing to start: set SERVER_NAME (e.g. tirage.example.org) so links in mails work.")
        if not config.get("SELLER_ADDRESS"):
            raise RuntimeError("Refusing to start: set SELLER_ADDRESS (lines separated by ';'), the seller's postal "
                               "address that every receipt must show.")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    RATELIMIT_STORAGE_URI = "memory://"
    CELERY_BROKER_URL = None  # tasks run eagerly; the multi-server test starts a real worker
    CELERY = {"task_eager_propagates": True}  # a task's bug fails the test that ran it
    CACHE_TYPE = "NullCache"  # every answer fresh; a test of the cache sets its own
    CACHE_NO_NULL_WARNING = True
    PAGE_CACHE = False  # pages with a token for everyone; tests/shop/test_page_cache.py turns it on
    MAIL_SERVER = None
    SERVER_NAME = None
    STORAGE_URL = None  # each test's own folder (UPLOAD_ROOT), never a bucket from the environment


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}
