"""The storage interface: the filesystem and an S3 bucket (a real S3 HTTP endpoint, moto's server
mode) keep the same contract; /media sends or redirects, never a private file; a file saved for a
transaction that rolls back is deleted."""
from __future__ import annotations

import io
import socket
import urllib.request
import uuid

import boto3
import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.designs.models import Design
from app.extensions import db
from app.storage import FileSystemStorage, S3Storage, get_storage, storage_from_url
from tests.fixtures.designs import artwork_bytes

BUCKET = "tirage-test"
REGION = "eu-west-1"
DIGEST = "0" * 64
BAD_KEYS = ["", "public/../private", "public/ab/cd.png", f"public/11/{DIGEST}.png", f"public/00/{DIGEST}.png/..",
            f"shared/00/{DIGEST}.png", f"public/00/../00/{DIGEST}.png", f"/public/00/{DIGEST}.png",
            f"public/00/{DIGEST}.PNG", f"public%2f00%2f{DIGEST}.png"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 HTTP endpoint on a free port, with one bucket; dummy credentials."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield endpoint
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """The bucket's client, and a prefix of this test's own."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    return client, f"t-{uuid.uuid4().hex[:12]}"


def objects(bucket) -> set[str]:
    client, prefix = bucket
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
    return {item["Key"].removeprefix(prefix + "/") for item in listing.get("Contents", [])}


@pytest.fixture(params=["file", "s3"])
def backend(request):
    return request.param


@pytest.fixture
def app_config(app_config, backend, tmp_path, request):
    config = {**app_config, "PRINT_MIN_LONG_SIDE": 300}
    if backend == "file":
        config["STORAGE_URL"] = f"file://{tmp_path / 'store'}"
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        _, prefix = request.getfixturevalue("bucket")
        config["STORAGE_URL"] = f"s3://{BUCKET}/{prefix}?endpoint_url={endpoint}&region={REGION}&expires=120"
    return config


@pytest.fixture
def storage(app):
    return get_storage()


def in_transaction():
    db.session.execute(sa.text("SELECT 1"))  # the transaction has begun


# ---------------------------------------------------------------- the contract, for both backends

def test_the_backend_is_the_one_storage_url_names(storage, backend):
    assert isinstance(storage, FileSystemStorage if backend == "file" else S3Storage)


def test_save_read_exists_delete(storage):
    key = storage.put("public", b"a thumbnail", "PNG")
    assert key.startswith("public/") and key.endswith(".png")
    assert storage.put("public", b"a thumbnail", "png") == key  # same bytes, same name
    assert storage.exists(key) and storage.read(key) == b"a thumbnail"
    db.session.commit()
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting what is gone is no error
    with pytest.raises(FileNotFoundError):
        storage.read(key)


def test_only_public_files_have_a_url(storage, backend):
    public, private = storage.put("public", b"public", "webp"), storage.put("private", b"print file", "png")
    db.session.commit()
    assert storage.url(private) is None
    if backend == "file":
        assert storage.url(public) is None  # served by the app, through /media
    else:
        assert urllib.request.urlopen(storage.url(public), timeout=10).read() == b"public"


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_malformed_key_names_nothing(storage, key):
    for method in (storage.read, storage.exists, storage.delete, storage.url):
        with pytest.raises(ValueError):
            method(key)


def test_unknown_area_is_refused(storage):
    with pytest.raises(ValueError):
        storage.put("shared", b"x", "png")


@pytest.mark.parametrize("key", BAD_KEYS + ["private/{private}"])
def test_serving_answers_404_for_a_private_or_malformed_key(app, storage, key):
    private = storage.put("private", b"a private print file", "png")
    db.session.commit()
    with app.test_request_context(), pytest.raises(NotFound):
        storage.serve_public(key.format(private=private.removeprefix("private/")))


def test_a_file_saved_for_a_transaction_that_rolls_back_is_deleted(storage):
    in_transaction()
    key = storage.put("private", b"never committed", "png")
    assert storage.exists(key)
    db.session.rollback()
    assert not storage.exists(key)


def test_a_committed_file_stays(storage):
    in_transaction()
    key = storage.put("private", b"committed", "png")
    db.session.commit()
    db.session.rollback()
    assert storage.exists(key)


def test_a_file_that_existed_before_survives_a_rollback(storage):
    """Content-hashed names are shared: another design's committed row may name the same file."""
    key = storage.put("public", b"shared by two designs", "png")
    db.session.commit()
    in_transaction()
    assert storage.put("public", b"shared by two designs", "png") == key
    db.session.rollback()
    assert storage.exists(key)


def test_a_savepoint_rolling_back_keeps_the_outer_transactions_file(storage):
    in_transaction()
    outer = storage.put("public", b"outer", "png")
    with db.session.begin_nested() as savepoint:
        inner = storage.put("public", b"inner", "png")
        savepoint.rollback()
    db.session.commit()
    assert storage.exists(outer) and storage.exists(inner)  # kept until the real end says otherwise


def test_a_session_closed_without_commit_deletes_its_files(storage):
    """A request that fails with an exception: its session is closed, never committed."""
    in_transaction()
    key = storage.put("public", b"half-made", "png")
    db.session.close()
    assert not storage.exists(key)


@pytest.mark.committed  # two transactions on connections of their own
def test_a_file_named_meanwhile_by_a_committed_row_survives_the_rollback_of_the_one_that_saved_it(storage):
    """The same bytes saved twice at once (one member's two tabs): the first transaction saved the
    file, the second found it there and committed a row naming it; the first rolls back."""
    from app.accounts.models import User
    from tests.factories import UserFactory

    member_id = UserFactory().id
    db.session.commit()
    in_transaction()
    key = storage.put("public", b"one avatar sent from two tabs", "webp")
    with db.engine.begin() as other:  # the other tab's transaction, committed first
        other.execute(sa.update(User).where(User.id == member_id).values(avatar_key=key))
    db.session.rollback()
    assert storage.exists(key)


def test_with_a_worker_a_rolled_back_file_is_forgotten_later_unless_named(storage, monkeypatch):
    from app import storage as stored
    from app import tasks

    sent = []
    monkeypatch.setattr(tasks, "is_eager", lambda: False)
    monkeypatch.setattr(tasks.forget_file, "apply_async", lambda args, countdown: sent.append((args, countdown)))
    in_transaction()
    key = storage.put("private", b"a print file of an upload that failed", "png")
    db.session.rollback()
    assert storage.exists(key)  # not now: another transaction may be saving the same bytes
    assert sent == [((key,), stored.FORGET_AFTER_SECONDS)]
    assert tasks.forget_file.run(key) is True  # the task, minutes later: nothing names it
    assert not storage.exists(key)


def test_the_task_keeps_a_file_a_committed_row_names(storage, make_design):
    from app import tasks

    design = make_design()
    for key in (design.print_file_key, design.preview_key):
        assert tasks.forget_file.run(key) is False
        assert storage.exists(key)


def test_every_column_naming_a_stored_file_is_known():
    from app.storage import stored_file_columns

    names = {f"{column.table.name}.{column.name}" for column in stored_file_columns()}
    assert names == {"users.avatar_key", *(f"designs.{kind}_key" for kind in (
        "print_file", "thumbnail", "thumbnail_fallback", "preview", "preview_fallback", "mockup", "mockup_fallback"))}


# ---------------------------------------------------------------- S3 through the app

def upload(browser):
    data = {"title": "Fox at night", "description": "Inspired by autumn.", "tags": "animals",
            "alt_text": "A red fox under a full moon", "shirt_colour": "navy", "original": "y", "licence": "y",
            "submit_review": "Submit for review", "print_file": (io.BytesIO(artwork_bytes(5)), "art.png")}
    return browser.submit("/designs/new", data, content_type="multipart/form-data")


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_an_uploaded_design_lives_in_the_bucket_and_media_redirects_to_it(app, browser, auth, bucket, tmp_path):
    auth.member()
    assert upload(browser).status_code == 302
    design = db.session.scalars(sa.select(Design)).one()
    keys = {design.print_file_key, design.thumbnail_key, design.thumbnail_fallback_key, design.preview_key,
            design.preview_fallback_key, design.mockup_key, design.mockup_fallback_key}
    assert keys <= objects(bucket)
    assert not (tmp_path / "uploads").exists()  # nothing on the web server's disk

    response = browser.get(f"/media/{design.thumbnail_key}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "X-Amz-Expires=120" in location and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == get_storage().read(design.thumbnail_key)
        assert fetched.headers["Content-Type"] == "image/webp"

    response = browser.get(f"/media/{design.print_file_key}")
    assert response.status_code == 404 and "Location" not in response.headers


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_a_rendering_refused_after_its_files_were_stored_leaves_no_object(app, browser, auth, bucket, monkeypatch):
    """The upload request stores the original; the worker's renditions, stored and then refused,
    are deleted with the rolled-back transaction."""
    import app.tasks as tasks
    from app.designs import rendering, services

    monkeypatch.setattr(tasks, "after_commit", lambda task, *args: None)  # the worker has not run yet
    auth.member()
    assert upload(browser).status_code == 302
    design = db.session.scalars(sa.select(Design)).one()
    assert objects(bucket) == {design.print_file_key}  # only the original, kept private

    def refuse(design):
        raise services.DesignError("refused after storing")

    monkeypatch.setattr(services, "_record_matches", refuse)  # runs once every rendition is stored
    with pytest.raises(services.DesignError):
        rendering.render(design.id)
    db.session.rollback()
    db.session.expire_all()
    assert objects(bucket) == {design.print_file_key}  # no half-made rendition left behind
    assert db.session.get(Design, design.id).rendering == "pending"  # the task's retry will try again


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_a_save_in_a_transaction_that_rolls_back_leaves_no_object(storage, bucket):
    in_transaction()
    key = storage.put("private", b"rolled back", "png")
    assert key in objects(bucket)
    db.session.rollback()
    assert objects(bucket) == set()


# ---------------------------------------------------------------- STORAGE_URL

def test_storage_url_names_the_backend(tmp_path):
    assert storage_from_url(None, tmp_path).root == tmp_path
    assert storage_from_url(f"file://{tmp_path}/up", "/elsewhere").root == tmp_path / "up"
    s3 = storage_from_url("s3://my-bucket/tirage/media/?region=eu-west-1&endpoint_url=http://127.0.0.1:9000",
                          tmp_path)
    assert (s3.bucket, s3.prefix, s3.expires) == ("my-bucket", "tirage/media/", 300)
    assert s3.client.meta.endpoint_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize("url", ["file://relative/path", "file:relative", "/srv/uploads", "s3:///prefix",
                                 "s3://bucket?acl=public-read", "gs://bucket"])
def test_a_storage_url_it_cannot_follow_is_refused(url, tmp_path):
    with pytest.raises(ValueError):
        storage_from_url(url, tmp_path)
