"""What the audit chain relies on outside the database: its secret key and the checkpoint file of its head.

Someone who can write the database can delete an entry and re-hash the rest, or cut the newest entries and move
the head back. Keyed hashes (HMAC-SHA256 with a key the database never sees) stop the first; the checkpoint,
a file beside the instance that every commit moves forward, stops the second.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from ..secretfile import kept_secret

try:
    import fcntl
except ImportError:  # Windows: one waitress process, its threads serialised by the lock below
    fcntl = None

_local_lock = threading.Lock()
KEY_FILE = "audit_key"
CHECKPOINT_FOLDER = "audit-checkpoints"


# ---- the key ------------------------------------------------------------------------------------------


def load_key(instance_path: str) -> str:
    """AUDIT_KEY from the environment, else the file AUDIT_KEY_FILE names, else one generated once into the
    instance folder (readable by the app's user only). Never stored in the database."""
    if os.environ.get("AUDIT_KEY"):
        return os.environ["AUDIT_KEY"]
    return kept_secret(Path(os.environ.get("AUDIT_KEY_FILE") or Path(instance_path) / KEY_FILE))


def keyed_hash(text: str, key: str | None = None) -> str:
    """HMAC-SHA256 of `text` under the audit key, as 64 hex digits."""
    secret = (key if key is not None else current_app.config["AUDIT_KEY"]).encode("utf-8")
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


# ---- the checkpoint -------------------------------------------------------------------------------------


def checkpoint_path() -> Path:
    """AUDIT_CHECKPOINT, else one file per database under the instance folder (or AUDIT_CHECKPOINT_DIR), named
    by the database's address without its password: a test or a second database never shares the file."""
    configured = current_app.config.get("AUDIT_CHECKPOINT")
    if configured:
        return Path(configured)
    folder = current_app.config.get("AUDIT_CHECKPOINT_DIR") or Path(current_app.instance_path) / CHECKPOINT_FOLDER
    return checkpoint_in(folder, current_app.config["SQLALCHEMY_DATABASE_URI"])


def checkpoint_in(folder: str | Path, database_url: str) -> Path:
    """The checkpoint file of the database at `database_url` in `folder`."""
    url = make_url(database_url).render_as_string(hide_password=True)
    return Path(folder) / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]}.json"


@contextmanager
def _exclusive(path: Path):
    """One writer of the checkpoint at a time, across the server's processes and threads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _local_lock, open(path.with_suffix(".lock"), "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)


def read_checkpoint() -> dict | None:
    path = checkpoint_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {"unreadable": True}


def advance(seq: int, digest: str, at: str, first: str | None, first_of_chain) -> None:
    """Move the checkpoint to entry `seq` once it is committed; never backwards, never onto another chain.

    `first` is entry 1's hash when this commit wrote entry 1; otherwise `first_of_chain()` reads it (only when
    no checkpoint exists yet). A checkpoint of another chain (a database rebuilt, or the log replaced as a whole)
    is left as it is, so that audit-verify names the replacement instead of the file forgetting it.
    """
    path = checkpoint_path()
    with _exclusive(path):
        current = read_checkpoint()
        if current is not None:
            if current.get("unreadable") or current.get("seq", 0) >= seq:
                return
            if first is not None and current.get("chain") != first:
                return
            chain = current.get("chain")
        else:
            chain = first if first is not None else first_of_chain()
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"chain": chain, "seq": seq, "hash": digest, "at": at}, ensure_ascii=False),
                             encoding="utf-8")
        os.replace(temporary, path)


def forget() -> None:
    """Remove the checkpoint (tests that empty the database; a database rebuilt on purpose)."""
    checkpoint_path().unlink(missing_ok=True)
