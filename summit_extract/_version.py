"""The package's version, from one source: the installed metadata, which pyproject.toml's version makes."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "package_version"]

#: The distribution's name, as pip knows it.
DISTRIBUTION = "summit-extract"


def package_version() -> str:
    """The installed version (``pip install`` writes it from pyproject.toml); '0+unknown' if not installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"
