"""Following a design: members hear when its round's results are out, once each."""
from datetime import datetime, timezone

import sqlalchemy as sa
import time_machine

from app.designs import services as designs
from app.designs.models import DesignFollower
from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from tests.factories import UserFactory


def followers_of(design) -> list[int]:
    return list(db.session.scalars(sa.select(DesignFollower.user_id).where(DesignFollower.design_id == design.id)))


def test_a_member_follows_and_unfollows_from_the_design_page(browser, auth, make_design):
    design = make_design(title="Night Owl")
    member = auth.member()
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'action="/designs/{design.id}/follow"' in page
    reply = browser.submit(f"/designs/{design.id}/follow", form_url=f"/designs/{design.id}", follow_redirects=True)
    assert "You follow “Night Owl”" in reply.get_data(as_text=True)
    browser.submit(f"/designs/{design.id}/follow", form_url=f"/designs/{design.id}")  # twice: still once
    assert followers_of(design) == [member.id]
    assert f'action="/designs/{design.id}/unfollow"' in browser.get(f"/designs/{design.id}").get_data(as_text=True)
    browser.submit(f"/designs/{design.id}/unfollow", form_url=f"/designs/{design.id}")
    assert followers_of(design) == []


def test_who_may_follow(browser, auth, make_design):
    design = make_design()
    draft = make_design(status="draft")
    # The design's page carries no token for anonymous visitors (a shared page): the login page has one.
    assert "csrf_token" not in browser.get(f"/designs/{design.id}").get_data(as_text=True)
    anonymous = browser.submit(f"/designs/{design.id}/follow", form_url="/account/login")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    auth.member(unverified=True)  # mails go to confirmed addresses only
    assert browser.submit(f"/designs/{design.id}/follow", form_url=f"/designs/{design.id}").status_code == 403
    auth.logout()
    auth.member()
    hidden = browser.submit(f"/designs/{draft.id}/follow", form_url=f"/designs/{design.id}")
    assert hidden.status_code == 404  # someone else's draft does not exist for her
    assert browser.client.post(f"/designs/{design.id}/follow").status_code == 400  # no CSRF token: refused
    assert followers_of(design) == [] and followers_of(draft) == []


def test_only_approved_designs_can_be_followed(app, make_design):
    draft = make_design(status="draft")
    member = UserFactory()
    try:
        designs.follow(draft, member)
    except designs.DesignError as exc:
        assert "Only approved designs" in str(exc)
    else:
        raise AssertionError("a draft was followed")


def test_followers_are_mailed_the_results_once(app, mailbox, make_design):
    with time_machine.travel(datetime(2026, 11, 10, tzinfo=timezone.utc), tick=False) as clock:
        lifecycle.tick()
        designer = UserFactory(email="dana@example.org")
        owl = make_design(designer=designer, title="Night Owl")
        fan, voting_fan = UserFactory(email="fan@example.org"), UserFactory(email="voting-fan@example.org")
        designs.follow(owl, fan)
        designs.follow(owl, voting_fan)
        designs.follow(owl, designer)  # her own design: still one mail
        voting.cast_vote(voting_fan, owl, 5, False, None)
        db.session.commit()
        clock.move_to(datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc))
        lifecycle.tick()
        november = calendar.get_round(2026, 11)
        operator = UserFactory(operator=True)
        mailbox.messages.clear()
        with app.test_request_context():
            lifecycle.confirm_winners(november, operator)
            lifecycle.publish(november, operator)
        db.session.commit()
    results = [m for m in mailbox.messages if "November 2026" in m["Subject"]]
    assert sorted(m["To"] for m in results) == ["dana@example.org", "fan@example.org", "voting-fan@example.org"]
    assert "Night Owl" in mailbox.last_to("fan@example.org").get_content()
