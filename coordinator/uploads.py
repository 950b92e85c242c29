"""Where uploaded files (photos, special-inspection plans) are kept: ATTACHMENT_FOLDER, created on first use."""
from __future__ import annotations

from pathlib import Path

from flask import current_app


def attachment_folder() -> Path:
    folder = Path(current_app.config["ATTACHMENT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder
