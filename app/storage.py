"""The one storage service for uploaded and generated files.

Files are stored under content-hashed names, so the same bytes are stored once and a name
never changes meaning (which lets renditions be cached forever). Two areas: `public` files
are served by /media/, `private` ones (original print files) never are.
The filesystem backend is the default; an object store can implement the same interface.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import Response, abort, current_app, send_file

AREAS = ("public", "private")
# The only shape a key has (see content_key): anything else, "..", "%2e%2e" or an encoded slash
# included, names no stored file.
KEY_FORMAT = re.compile(r"(?P<area>public|private)/(?P<fan>[0-9a-f]{2})/(?P<digest>[0-9a-f]{64})\.[a-z0-9]{1,8}")


class Storage(Protocol):
    def put(self, area: str, data: bytes, extension: str) -> str: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path: ...
    def send_public(self, key: str) -> Response: ...


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


class FileSystemStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        area = key_area(key)
        candidate = (self.root / key).resolve()
        if (self.root / area).resolve() not in candidate.parents:  # a symlink leading elsewhere
            raise ValueError("storage key escapes its area")
        return candidate

    def put(self, area: str, data: bytes, extension: str) -> str:
        key = content_key(area, data, extension)
        target = self.path(key)
        if target.exists():
            return key  # same content, same name: stored once
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return key

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def send_public(self, key: str) -> Response:
        """The response serving a public file, cached for good (a name never changes meaning);
        404 for a private file, a malformed key or a missing file."""
        try:
            if key_area(key) != "public":
                abort(404)
            path = self.path(key)
        except ValueError:
            abort(404)
        if not path.is_file():
            abort(404)
        response = send_file(path, max_age=31536000, conditional=True)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def get_storage() -> Storage:
    return current_app.extensions["tirage.storage"]


def init_app(app) -> None:
    root = app.config.get("UPLOAD_ROOT") or Path(app.root_path).parent / "uploads"
    app.extensions["tirage.storage"] = FileSystemStorage(root)
