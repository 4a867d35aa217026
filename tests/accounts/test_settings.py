"""Profile, avatar, email change and password change."""
import io

from PIL import Image

from app.accounts.models import User
from app.extensions import db
from app.storage import get_storage
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory

NEW_PASSWORD = "another good passphrase"


def png_bytes(size=(600, 400), colour=(200, 30, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_edit_profile_with_avatar(browser, auth):
    user = auth.member()
    response = browser.submit("/account/settings", {
        "display_name": "Ada L.", "bio": "I draw cats.", "website": "https://ada.example",
        "avatar": (io.BytesIO(png_bytes()), "me.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    user = fresh(user)
    assert (user.display_name, user.bio, user.website) == ("Ada L.", "I draw cats.", "https://ada.example")
    stored = Image.open(io.BytesIO(get_storage().read(user.avatar_key)))
    assert stored.format == "WEBP" and stored.size == (256, 256)
    page = browser.get(f"/designers/{user.id}").get_data(as_text=True)
    assert "I draw cats." in page and user.avatar_key in page
    media = browser.get(f"/media/{user.avatar_key}")
    assert media.status_code == 200
    assert "immutable" in media.headers["Cache-Control"]


def test_avatar_that_is_not_an_image_is_refused(browser, auth):
    user = auth.member()
    response = browser.submit("/account/settings", {
        "display_name": "Ada", "avatar": (io.BytesIO(b"<svg onload=alert(1)>"), "me.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not a PNG or JPEG image" in response.get_data(as_text=True)
    assert fresh(user).avatar_key is None


def test_website_must_be_a_web_address(browser, auth):
    user = auth.member()
    response = browser.submit("/account/settings", {"display_name": "Ada", "website": "javascript:alert(1)"})
    assert response.status_code == 422
    assert fresh(user).website == ""


def test_change_password_needs_the_current_one(browser, auth):
    user = auth.member()
    response = browser.submit("/account/settings/password",
                              {"current": "wrong one", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "current password is not correct" in response.get_data(as_text=True)
    response = browser.submit("/account/settings/password",
                              {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert browser.get("/account/settings").status_code == 200  # this session stays
    browser.logout()
    assert browser.login(user.email, NEW_PASSWORD).status_code == 302


def test_change_password_logs_out_other_devices(app, browser, auth):
    user = auth.member()
    other = app.test_client()
    from tests.fixtures.web import Browser

    Browser(other).login(user.email)
    assert other.get("/account/settings").status_code == 200
    browser.submit("/account/settings/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other.get("/account/settings").status_code == 302


def test_change_email_takes_effect_after_confirmation(browser, auth, mailbox):
    user = auth.member()
    response = browser.submit("/account/settings/email", {"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert fresh(user).email == user.email  # not yet
    link = mailbox.link_in(mailbox.last_to("new@example.org"), "/account/email/confirm/")
    assert browser.get(link.replace("http://tirage.test", "")).status_code == 302
    assert fresh(user).email == "new@example.org"


def test_change_email_to_a_taken_address_is_refused(browser, auth, mailbox):
    UserFactory(email="taken@example.org")
    user = auth.member()
    response = browser.submit("/account/settings/email", {"email": "taken@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert mailbox.to("taken@example.org") == []
    assert fresh(user).email == user.email


def test_settings_need_login(client):
    for url in ("/account/settings", "/account/settings/password", "/account/settings/email"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login?next=" in response.headers["Location"]
