"""The one storage service for uploaded and generated files.

Files are stored under content-hashed names, so the same bytes are stored once and a name
never changes meaning (which lets renditions be cached forever). Two areas: `public` files
are served by /media/, `private` ones (original print files) never are.
The filesystem backend is the default; an object store can implement the same interface.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

AREAS = ("public", "private")


class Storage(Protocol):
    def put(self, area: str, data: bytes, extension: str) -> str: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path: ...


def content_key(area: str, data: bytes, extension: str) -> str:
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{area}/{digest[:2]}/{digest}.{extension.lstrip('.').lower()}"


class FileSystemStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        candidate = (self.root / key).resolve()
        if self.root.resolve() not in candidate.parents:
            raise ValueError("storage key escapes the storage root")
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


def get_storage() -> Storage:
    return current_app.extensions["tirage.storage"]


def init_app(app) -> None:
    root = app.config.get("UPLOAD_ROOT") or Path(app.root_path).parent / "uploads"
    app.extensions["tirage.storage"] = FileSystemStorage(root)
