"""The one storage service for uploaded and generated files, behind one interface chosen by
`STORAGE_URL`: the local filesystem (the default) or any S3-compatible object store.

Files are stored under content-hashed names, so the same bytes are stored once and a name
never changes meaning (which lets renditions be cached forever). Two areas: `public` files
are served by /media/, `private` ones (original print files) never are, by either backend.
A file saved for a transaction that rolls back is deleted again (see `_forget_saved`).
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import Response, abort, current_app, redirect, send_file

from app.extensions import db

log = logging.getLogger(__name__)

AREAS = ("public", "private")
# The only shape a key has (see content_key): anything else, "..", "%2e%2e" or an encoded slash
# included, names no stored file.
KEY_FORMAT = re.compile(r"(?P<area>public|private)/(?P<fan>[0-9a-f]{2})/(?P<digest>[0-9a-f]{64})\.[a-z0-9]{1,8}")
# A public name never changes meaning, so whatever serves it may keep it for good.
IMMUTABLE = "public, max-age=31536000, immutable"
PRESIGNED_SECONDS = 300  # how long an S3 redirect from /media stays valid, unless STORAGE_URL says


class Storage(Protocol):
    def put(self, area: str, data: bytes, extension: str) -> str:
        """Store `data` in `area`; its key. Remembered so that a rollback deletes it again."""
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def url(self, key: str) -> str | None:
        """A URL fetching a public file directly from the store, or None (private, or served by /media)."""
    def serve_public(self, key: str) -> Response:
        """The /media response for a key: the file or a redirect; 404 unless it is a public key."""


def content_key(area: str, data: bytes, extension: str) -> str:
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{area}/{digest[:2]}/{digest}.{extension.lstrip('.').lower()}"


def key_area(key: str) -> str:
    """The area of a well-formed key; ValueError for anything else."""
    match = KEY_FORMAT.fullmatch(key or "")
    if match is None or match["fan"] != match["digest"][:2]:
        raise ValueError("not a storage key")
    return match["area"]


def _public_key_or_404(key: str) -> None:
    try:
        if key_area(key) == "public":
            return
    except ValueError:
        pass
    abort(404)


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class FileSystemStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        area = key_area(key)
        candidate = (self.root / key).resolve()
        if (self.root / area).resolve() not in candidate.parents:  # a symlink leading elsewhere
            raise ValueError("storage key escapes its area")
        return candidate

    def put(self, area: str, data: bytes, extension: str) -> str:
        key = content_key(area, data, extension)
        target = self._path(key)
        if target.exists():
            return key  # same content, same name: stored once (and not ours to delete on rollback)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        _remember_saved(self, key)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str | None:
        key_area(key)
        return None  # the app itself serves these files, through /media

    def serve_public(self, key: str) -> Response:
        _public_key_or_404(key)
        path = self._path(key)
        if not path.is_file():
            abort(404)
        response = send_file(path, max_age=31536000, conditional=True)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


class S3Storage:
    """Files as objects in one bucket (under an optional prefix) of any S3-compatible store.

    The bucket stays private: public files are reached through presigned GET URLs that expire
    within minutes, and no URL is ever signed for a private key.
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, addressing_style: str | None = None,
                 expires: int = PRESIGNED_SECONDS):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.expires = expires
        # MinIO and most self-hosted stores want path-style addresses (no bucket subdomain).
        style = addressing_style or ("path" if endpoint_url else "auto")
        # Credentials come from boto3's usual chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
        # a profile, or an instance role.
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            config=BotoConfig(signature_version="s3v4", s3={"addressing_style": style},
                              retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _object(self, key: str) -> str:
        key_area(key)  # the same rule as the filesystem: nothing else names an object
        return self.prefix + key

    def put(self, area: str, data: bytes, extension: str) -> str:
        key = content_key(area, data, extension)
        if self.exists(key):
            return key
        extra = {"CacheControl": IMMUTABLE} if area == "public" else {}
        self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data,
                               ContentType=_content_type(key), **extra)
        _remember_saved(self, key)
        return key

    def read(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def url(self, key: str) -> str | None:
        if key_area(key) != "public":
            return None  # print files are never reachable by a link
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._object(key)}, ExpiresIn=self.expires)

    def serve_public(self, key: str) -> Response:
        # No HEAD request per image: a missing object is answered by the store itself.
        _public_key_or_404(key)
        response = redirect(self.url(key), code=302)
        # The redirect may be reused while the signature is still good, not beyond.
        response.headers["Cache-Control"] = f"public, max-age={self.expires // 2}"
        return response


def storage_from_url(url: str | None, default_root: str | os.PathLike) -> Storage:
    """The backend a STORAGE_URL names: unset → the filesystem at `default_root`;
    file:///abs/path → the filesystem there; s3://bucket/prefix?endpoint_url=…&region=…&expires=…
    → an S3-compatible bucket."""
    if not url:
        return FileSystemStorage(default_root)
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not os.path.isabs(path):
            raise ValueError(f"STORAGE_URL {url!r}: a file URL names an absolute local path, file:///srv/uploads")
        return FileSystemStorage(path)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL {url!r}: name the bucket, s3://bucket/prefix")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region", "addressing_style", "expires"}
        if unknown:
            raise ValueError(f"STORAGE_URL {url!r}: unknown option(s) {', '.join(sorted(unknown))}")
        return S3Storage(parts.netloc, unquote(parts.path), endpoint_url=query.get("endpoint_url"),
                         region=query.get("region"), addressing_style=query.get("addressing_style"),
                         expires=int(query.get("expires", PRESIGNED_SECONDS)))
    raise ValueError(f"STORAGE_URL {url!r}: use file:///absolute/path or s3://bucket/prefix")


def get_storage() -> Storage:
    return current_app.extensions["tirage.storage"]


# ---------------------------------------------------------------- files of a rolled-back transaction
# A key is remembered only if this transaction created the file: content-hashed names are
# shared, so a file that existed before may be referenced by a committed row and must stay.
# Even a file this transaction created may be named by another one meanwhile (the same bytes
# uploaded twice at once: both found no file, or the second found the first's): so a rolled-back
# transaction's file is deleted only when no committed row names it, and with a worker, only
# FORGET_AFTER_SECONDS later, when any transaction that saved the same bytes has long ended.

SAVED = "storage_saved"
FORGET_AFTER_SECONDS = 600


def _remember_saved(storage: Storage, key: str) -> None:
    db.session.info.setdefault(SAVED, []).append((storage, key))


def _keep_saved(session) -> None:
    if not session.in_nested_transaction():  # releasing a savepoint commits nothing yet
        session.info.pop(SAVED, None)


def _delete_saved(session) -> None:
    from app import tasks

    for storage, key in session.info.pop(SAVED, []):
        try:
            if tasks.is_eager():  # no worker: now (the tests, a laptop)
                delete_unless_named(storage, key)
            else:
                tasks.forget_file.apply_async((key,), countdown=FORGET_AFTER_SECONDS)
        except Exception:  # a store or broker that is down must not hide why the transaction failed
            log.warning("could not delete %s after a rollback", key, exc_info=True)


def stored_file_columns() -> list[sa.Column]:
    """Every column that names a file in storage (marked `info=STORED_FILE`)."""
    return [column for table in db.metadata.sorted_tables for column in table.columns if column.info.get("stored_file")]


def is_named(key: str) -> bool:
    """A committed row names this file (read on a connection of its own)."""
    statement = sa.select(sa.or_(*(sa.exists().where(column == key) for column in stored_file_columns())))
    with db.engine.connect() as connection:
        return bool(connection.scalar(statement))


def delete_unless_named(storage: Storage, key: str) -> bool:
    """Delete a rolled-back transaction's file unless a committed row names it; True if deleted."""
    if is_named(key):
        return False
    storage.delete(key)
    return True


def _after_rollback(session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer work
        _delete_saved(session)


def _after_transaction_end(session, transaction) -> None:
    # A session closed without committing (an exception in a request) rolled back too.
    if transaction.parent is None:
        _delete_saved(session)


def init_app(app) -> None:
    root = app.config.get("UPLOAD_ROOT") or Path(app.root_path).parent / "uploads"
    app.extensions["tirage.storage"] = storage_from_url(app.config.get("STORAGE_URL"), root)
    for name, listener in (("after_commit", _keep_saved), ("after_rollback", _after_rollback),
                           ("after_transaction_end", _after_transaction_end)):
        if not sa.event.contains(db.session, name, listener):  # one registration for every app
            sa.event.listen(db.session, name, listener)
