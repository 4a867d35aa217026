"""No per-process state that users can see: caches shared by every server, formatting per request."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.designs import services as designs
from app.designs.models import Design, DesignStatus
from app.extensions import db
from tests.fixtures.designs import MIN_SIDE, artwork_bytes, design_fields
from tests.factories import UserFactory


@pytest.fixture
def app_config(app_config, shared_cache):
    return {**app_config, **shared_cache, "PRINT_MIN_LONG_SIDE": MIN_SIDE}


@pytest.fixture
def server_b(app, app_config):
    """A second web server: another app on the same database and the same cache."""
    other = create_app("testing", app_config)
    yield other
    with other.app_context():
        db.engine.dispose()


def submitted(tags: str, seed: int) -> Design:
    design = designs.create_design(UserFactory(), design_fields(tags=tags), artwork_bytes(seed), submit=True)
    db.session.commit()
    return design


@pytest.mark.committed
def test_two_servers_share_the_tag_cloud_and_an_approval_refreshes_it_for_both(app, server_b):
    operator = UserFactory(operator=True)
    designs.approve_design(submitted("cats", 1), operator)
    db.session.commit()
    assert designs.popular_tags() == [("cats", 1)]  # server A counts and caches

    # Approved behind the services' back: only a server that counts again would see it.
    sneaked = submitted("dogs", 2)
    db.session.execute(sa.update(Design).where(Design.id == sneaked.id).values(status=DesignStatus.APPROVED))
    db.session.commit()
    with server_b.app_context():
        assert designs.popular_tags() == [("cats", 1)]  # B is served A's count
        design = db.session.get(Design, submitted("dogs", 3).id)
        designs.approve_design(design, db.session.get(type(operator), operator.id))
        db.session.commit()
        assert designs.popular_tags() == [("dogs", 2), ("cats", 1)]
    db.session.expire_all()
    assert designs.popular_tags() == [("dogs", 2), ("cats", 1)]
    assert designs.popular_tags(limit=1) == [("dogs", 2)]


@pytest.mark.committed
def test_a_rejection_also_refreshes_the_cloud(app, server_b):
    pending = submitted("cats", 4)
    assert designs.popular_tags() == []
    sneaked = submitted("dogs", 5)
    db.session.execute(sa.update(Design).where(Design.id == sneaked.id).values(status=DesignStatus.APPROVED))
    db.session.commit()
    with server_b.app_context():
        designs.reject_design(db.session.get(Design, pending.id), UserFactory(operator=True),
                              designs.RejectionReason.OFF_BRIEF)
        db.session.commit()
    assert designs.popular_tags() == [("dogs", 1)]


@pytest.mark.committed
def test_a_cache_that_does_not_answer_costs_a_recount_not_the_page(app, app_config):
    broken = create_app("testing", {**app_config, "CACHE_REDIS_URL": "redis://127.0.0.1:1/0"})
    with broken.app_context():
        designs.approve_design(submitted("cats", 6), UserFactory(operator=True))
        db.session.commit()
        assert designs.popular_tags() == [("cats", 1)]
        db.engine.dispose()


def test_the_language_of_one_request_never_leaks_into_anothers_formatting(app):
    # Compiled once, by the first (French) request, as a page's template is: Jinja must not fold
    # the filter on a constant into the template in that request's language.
    template, shown = None, []
    for language in ("fr", "en", "fr"):
        # An application context per request, as in production (Flask-Babel keeps the locale in `g`).
        with app.app_context(), app.test_request_context(headers={"Accept-Language": language}):
            template = template or app.jinja_env.from_string("{{ 100000|money }}")
            shown.append(template.render())
    assert shown == ["1\u202f000,00\xa0€", "€1,000.00", "1\u202f000,00\xa0€"]
