"""The shapes of a view's action (app.actions.act, and attempt for a form shown again), and a list's
declared sort orders (app.lists.Sorts)."""
from unittest import mock

import pytest
from flask import get_flashed_messages
from wtforms import Form, StringField

from app.actions import act, attempt
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


class NoteForm(Form):
    note = StringField()


def _attempt(app, action, field=None, **options):
    with app.test_request_context(), mock.patch.object(db.session, "commit") as commit, \
            mock.patch.object(db.session, "rollback") as rollback:
        answer = attempt(action, refused=options.pop("refused", Refused), field=field, **options)
        return answer, get_flashed_messages(with_categories=True), commit.called, rollback.called


def refuse():
    raise Refused("Not now.")


def test_attempt_commits_and_gives_what_the_action_returned(app):
    assert _attempt(app, lambda: 3) == ((True, 3), [], True, False)
    assert _attempt(app, lambda: 3, commit=False) == ((True, 3), [], False, False)


def test_a_refused_attempt_rolls_back_and_shows_the_words_on_the_field(app):
    form = NoteForm()
    form.note.errors = ["Too long."]
    assert _attempt(app, refuse, field=form.note) == ((False, None), [], False, True)
    assert form.note.errors == ["Too long.", "Not now."] and form.form_errors == []


def test_a_refusal_about_the_whole_form_is_shown_above_it(app):
    form = NoteForm()
    assert _attempt(app, refuse, field=form)[0] == (False, None)
    assert form.form_errors == ["Not now."] and list(form.note.errors) == []


def test_each_kind_of_refusal_goes_where_it_is_mapped(app):
    def done():
        raise Done("Shipped already.")

    form = NoteForm()
    where = {Done: form.note, Refused: form}
    _attempt(app, done, field=where)
    _attempt(app, refuse, field=where)
    assert form.note.errors == ["Shipped already."] and form.form_errors == ["Not now."]


def test_a_refusal_without_a_field_is_flashed(app):
    assert _attempt(app, refuse) == ((False, None), [("error", "Not now.")], False, True)


def test_an_unexpected_error_is_not_swallowed_by_attempt(app):
    def crash():
        raise ValueError("bug")

    with pytest.raises(ValueError):
        _attempt(app, crash, field=NoteForm().note)


def test_sorts_declare_key_label_and_order():
    sorts = Sorts("newest", newest=("Newest first", ("a",)), oldest=("Oldest first", ("b",)))
    assert sorts.options() == [("newest", "Newest first"), ("oldest", "Oldest first")]
    assert sorts.choose("oldest") == "oldest"
    assert sorts.choose("nonsense") == sorts.choose(None) == "newest"
    assert sorts.order("oldest") == ("b",)
    assert "oldest" in sorts and "nonsense" not in sorts
