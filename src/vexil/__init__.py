"""Vexil: a self-hosted feature flag service."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
