"""A secret kept in a file beside the instance, generated on first use."""
from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path


def kept_secret(path: Path) -> str:
    """The secret in `path`, generated once (64 hex digits, readable by the app's user only). Processes that start
    at the same moment (server workers, two test runs) all read the one secret that was written first, whole:
    never a half-written file, never an error, never two workers with different secrets."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
            with suppress(FileExistsError):
                os.link(draft, path)  # atomic, and never replaces a secret another process put there first
        finally:
            os.unlink(draft)
    return path.read_text(encoding="utf-8").strip()
