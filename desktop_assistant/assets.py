"""Files from ``resources/``: inside the package in a wheel, beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path


def resource_path(name: str) -> Path:
    """The path of ``resources/<name>``."""
    packaged = Path(__file__).with_name("resources") / name
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[1] / "resources" / name
