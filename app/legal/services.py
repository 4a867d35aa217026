"""The legal texts' versions, their rendering, and the members' acceptance of them."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.clock import utcnow
from app.designs.markup import render_document
from app.extensions import cache, db
from app.legal.defaults import DEFAULTS
from app.legal.models import Consent, DocumentKind, LegalVersion

TITLES = {
    DocumentKind.TERMS: _l("Terms of use"),
    DocumentKind.PRIVACY: _l("Privacy notice"),
    DocumentKind.NOTICE: _l("Legal notice"),
}
# The URL slug of each text: /legal/terms, /legal/privacy, /legal/notice.
SLUGS = {kind.value: kind for kind in DocumentKind}
ACCEPTED = (DocumentKind.TERMS, DocumentKind.PRIVACY)
_CACHE_KEY = "legal:required-versions"
PLACEHOLDERS = {
    "operator": "LEGAL_OPERATOR", "address": "LEGAL_ADDRESS", "contact": "LEGAL_CONTACT",
    "director": "LEGAL_DIRECTOR", "registration": "LEGAL_REGISTRATION", "hosting": "LEGAL_HOSTING",
    "invoice_years": "INVOICE_RETENTION_YEARS",
}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class LegalError(Exception):
    """A rule was broken; the message is safe to show."""


def title(kind: DocumentKind) -> str:
    return str(TITLES[kind])


def _default(kind: DocumentKind) -> LegalVersion:
    body_en, body_fr = DEFAULTS[kind.value]
    return LegalVersion(kind=kind, version=1, body_en=body_en, body_fr=body_fr, summary_en="", summary_fr="",
                        requires_acceptance=True, published_at=None, published_by_id=None)


def _latest_stored(kind: DocumentKind) -> LegalVersion | None:
    return db.session.scalar(sa.select(LegalVersion).where(LegalVersion.kind == kind)
                             .order_by(LegalVersion.version.desc()).limit(1))


def current(kind: DocumentKind) -> LegalVersion:
    """The version in force: the latest published, or the default text (version 1, not yet stored)."""
    return _latest_stored(kind) or _default(kind)


def version(kind: DocumentKind, number: int) -> LegalVersion | None:
    found = db.session.scalar(sa.select(LegalVersion).where(LegalVersion.kind == kind, LegalVersion.version == number))
    if found is None and number == 1 and _latest_stored(kind) is None:
        return _default(kind)
    return found


def history(kind: DocumentKind) -> list[LegalVersion]:
    return list(db.session.scalars(sa.select(LegalVersion).where(LegalVersion.kind == kind)
                                   .order_by(LegalVersion.version.desc())))


def ensure_stored(kind: DocumentKind) -> LegalVersion:
    """The version in force, stored: the default text becomes version 1 the first time someone
    accepts it (or an operator edits it), so what was accepted is kept word for word."""
    latest = _latest_stored(kind)
    if latest is not None:
        return latest
    default = _default(kind)
    default.published_at = utcnow()
    try:
        with db.session.begin_nested():  # two sign-ups at once: one version 1
            db.session.add(default)
    except IntegrityError:
        return _latest_stored(kind)
    forget_required_versions()
    return default


def fill(text: str) -> str:
    """The text with {operator}, {contact}... replaced by the site's settings."""
    config = current_app.config
    return _PLACEHOLDER.sub(lambda m: str(config.get(PLACEHOLDERS[m.group(1)], "")), text)


def render(version_: LegalVersion, locale: str, heading_offset: int = 0) -> Markup:
    return render_document(fill(version_.body(locale)), heading_offset=heading_offset)


# ---------------------------------------------------------------- acceptance

def required_versions() -> dict[DocumentKind, int]:
    """For the texts members accept, the latest stored version that asks for acceptance. Read on
    every request of a logged-in member, so cached (and forgotten when a version is published)."""
    found = cache.get(_CACHE_KEY)
    if found is None:
        rows = db.session.execute(
            sa.select(LegalVersion.kind, sa.func.max(LegalVersion.version))
            .where(LegalVersion.kind.in_(ACCEPTED), LegalVersion.requires_acceptance.is_(True))
            .group_by(LegalVersion.kind)).all()
        found = {kind.value: number for kind, number in rows}
        cache.set(_CACHE_KEY, found, timeout=300)
    return {DocumentKind(kind): number for kind, number in found.items()}


def forget_required_versions() -> None:
    cache.delete(_CACHE_KEY)


def accepted_version(user, kind: DocumentKind) -> int | None:
    return user.terms_version if kind == DocumentKind.TERMS else user.privacy_version


def pending_acceptance(user) -> list[DocumentKind]:
    """The texts this member must accept (again) before acting on the site. The default texts,
    never stored, ask nothing of anyone: there is no version to record yet."""
    if not (user and user.is_authenticated) or user.is_deleted:
        return []
    required = required_versions()
    return [kind for kind in ACCEPTED if kind in required and (accepted_version(user, kind) or 0) < required[kind]]


def accept(user, kinds=ACCEPTED) -> list[Consent]:
    """Record that the member accepts the versions now in force (in the caller's transaction)."""
    consents = []
    for kind in kinds:
        in_force = ensure_stored(kind)
        already = db.session.scalar(sa.select(Consent).where(
            Consent.user_id == user.id, Consent.kind == kind, Consent.version == in_force.version))
        if already is None:
            already = Consent(user_id=user.id, kind=kind, version=in_force.version, accepted_at=utcnow())
            db.session.add(already)
        consents.append(already)
        if kind == DocumentKind.TERMS:
            user.terms_version = in_force.version
        else:
            user.privacy_version = in_force.version
    return consents


def consents_of(user_id: int) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.user_id == user_id)
                                   .order_by(Consent.accepted_at, Consent.id)))


# ---------------------------------------------------------------- operators

def publish(kind: DocumentKind, operator, body_en: str, body_fr: str, summary_en: str = "", summary_fr: str = "",
            requires_acceptance: bool = True) -> LegalVersion:
    """Publish a new version of a text; it is in force at once, and audited."""
    body_en, body_fr = body_en.strip().replace("\r\n", "\n"), body_fr.strip().replace("\r\n", "\n")
    if not body_en or not body_fr:
        raise LegalError(_l("Write the text in both languages."))
    latest = ensure_stored(kind)
    if body_en == latest.body_en.strip() and body_fr == latest.body_fr.strip():
        raise LegalError(_l("Nothing changed: this is the version already in force."))
    if not kind.needs_acceptance:
        requires_acceptance = False
    new = LegalVersion(kind=kind, version=latest.version + 1, body_en=body_en, body_fr=body_fr,
                       summary_en=summary_en.strip(), summary_fr=summary_fr.strip(),
                       requires_acceptance=requires_acceptance, published_at=utcnow(), published_by_id=operator.id)
    try:
        with db.session.begin_nested():
            db.session.add(new)
    except IntegrityError as exc:  # another operator published meanwhile
        raise LegalError(_l("Another version was published meanwhile: reload the page and try again.")) from exc
    record(operator, "legal.publish", "legal", kind.value, summary_en.strip(), version=new.version,
           requires_acceptance=requires_acceptance)
    forget_required_versions()
    return new
