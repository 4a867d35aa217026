"""Security headers and the check that keeps redirects on this site."""
from __future__ import annotations

from urllib.parse import urlsplit

def content_security_policy(form_targets: str = "") -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self'{form_targets}",
        "frame-ancestors 'none'",
    ])


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def set_security_headers(response):
    from flask import current_app

    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.extensions["tirage.csp"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def init_app(app) -> None:
    # Checkout posts a form that Stripe answers with a redirect to its hosted page.
    targets = " https://checkout.stripe.com" if app.config.get("PAYMENT_BACKEND") == "stripe" else ""
    app.extensions["tirage.csp"] = content_security_policy(targets)
    app.after_request(set_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):
        @app.after_request
        def hsts(response):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            return response
