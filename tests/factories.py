"""factory_boy factories for test data; they commit, as the app's own requests would see it."""
from __future__ import annotations

from datetime import timedelta

import factory
from argon2 import PasswordHasher

from app.accounts.models import Role, User
from app.clock import utcnow
from app.extensions import db

# Hashing once keeps factories fast; the cost parameters match TestConfig.
_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024).hash("correct horse battery staple")


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    class Params:
        operator = factory.Trait(role=Role.OPERATOR)
        unverified = factory.Trait(email_verified_at=None)
        suspended = factory.Trait(suspended_at=factory.LazyFunction(utcnow), suspension_reason="spam")

    email = factory.Sequence(lambda n: f"member{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password_hash = _PASSWORD_HASH
    role = Role.MEMBER
    created_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=30))
    email_verified_at = factory.LazyFunction(utcnow)
    # As if they had accepted the first texts when they signed up (tests of a new version publish one).
    terms_version = 1
    privacy_version = 1
