"""The one shape of a view's action (app.actions.act), and a list's declared sort orders (app.lists.Sorts)."""
from unittest import mock

import pytest
from flask import get_flashed_messages

from app.actions import act
from app.extensions import db
from app.lists import Sorts


class Refused(Exception):
    pass


class Done(Refused):
    pass


def _run(app, action, **options):
    options = {"success": "Saved.", "redirect_to": "/done", "refused": Refused, **options}
    with app.test_request_context(), mock.patch.object(db.session, "commit") as commit, \
            mock.patch.object(db.session, "rollback") as rollback:
        response = act(action, **options)
        return response.location, get_flashed_messages(with_categories=True), commit.called, rollback.called


def test_success_commits_flashes_and_redirects(app):
    assert _run(app, lambda: True) == ("/done", [("success", "Saved.")], True, False)


def test_success_can_say_what_the_action_returned_or_nothing(app):
    assert _run(app, lambda: 3, success=lambda n: f"{n} done.")[1] == [("success", "3 done.")]
    assert _run(app, lambda: 3, success=lambda n: None)[1] == []


def test_a_repeat_says_already(app):
    assert _run(app, lambda: False, already="Already saved.")[1] == [("info", "Already saved.")]


def test_a_refusal_rolls_back_and_flashes_the_error(app):
    def refuse():
        raise Refused("Not now.")

    assert _run(app, refuse, redirect_refused="/back") == ("/back", [("error", "Not now.")], False, True)
    assert _run(app, refuse)[0] == "/done"


def test_done_already_is_information(app):
    def done():
        raise Done("Shipped already.")

    assert _run(app, done, done_already=(Done,))[1] == [("info", "Shipped already.")]


def test_a_service_that_commits_itself(app):
    assert _run(app, lambda: True, commit=False)[2] is False


def test_an_unexpected_error_is_not_swallowed(app):
    def crash():
        raise ValueError("bug")

    with pytest.raises(ValueError):
        _run(app, crash)


def test_sorts_declare_key_label_and_order():
    sorts = Sorts("newest", newest=("Newest first", ("a",)), oldest=("Oldest first", ("b",)))
    assert sorts.options() == [("newest", "Newest first"), ("oldest", "Oldest first")]
    assert sorts.choose("oldest") == "oldest"
    assert sorts.choose("nonsense") == sorts.choose(None) == "newest"
    assert sorts.order("oldest") == ("b",)
    assert "oldest" in sorts and "nonsense" not in sorts
