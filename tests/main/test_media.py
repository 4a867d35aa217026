"""/media/ serves public renditions only: no path form reaches a private print file."""
import pytest

from app.storage import get_storage, key_area


@pytest.fixture
def stored(app):
    storage = get_storage()
    return storage.put("public", b"a public thumbnail", "png"), storage.put("private", b"a private print file", "png")


def test_a_public_file_is_served_and_cached_for_good(client, stored):
    public, _ = stored
    response = client.get(f"/media/{public}")
    assert response.status_code == 200 and response.data == b"a public thumbnail"
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize("form", [
    "{private}",
    "public/../{private}",
    "public/%2e%2e/{private}",
    "public/%2E%2E/{private}",
    "public/.%2e/{private}",
    "public%2f..%2f{private}",
    "public/..%2f{private}",
    "public/%2e%2e%2f{private}",
    "public/./../{private}",
    "public//../{private}",
    "public/../public/../{private}",
    "public/{fan}/../../{private}",
    "public/..\\{private}",
    "public/%2e%2e%5c{private}",
    "public/../../uploads/{private}",
    "/{private}",
])
def test_no_path_form_serves_a_private_file(client, stored, form):
    public, private = stored
    url = "/media/" + form.format(private=private, fan=public.split("/")[1])
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 404, url
    assert b"private print file" not in response.data


DIGEST = "0" * 64


@pytest.mark.parametrize("key", [
    "public/ab/cd.png", "public/../private", f"public/11/{DIGEST}.png", f"public/00/{DIGEST}.png/..",
    f"public/00/{DIGEST}.PNG", f"shared/00/{DIGEST}.png", f"public/00/../00/{DIGEST}.png", "",
])
def test_only_well_formed_keys_name_a_stored_file(key):
    with pytest.raises(ValueError):
        key_area(key)


def test_a_well_formed_key_names_its_area():
    assert key_area(f"public/00/{DIGEST}.webp") == "public"
    assert key_area(f"private/00/{DIGEST}.png") == "private"
