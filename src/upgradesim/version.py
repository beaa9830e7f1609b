"""The package version, from the installed metadata; imports nothing of upgradesim."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("upgradesim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
