"""Helpers of the distribution tests: fresh virtual environments, made with this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SDK_PROJECT = ROOT / "packages" / "vexil-sdk"
LOCK = ROOT / "constraints.txt"


def run(*command: str | Path, cwd: Path | None = None, timeout: float = 600) -> str:
    """Run a command to its end (outside the repository unless told); fail the test with its output if it fails."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def fresh_venv(path: Path) -> Path:
    """A new virtual environment at `path` (nothing of this one's packages); returns its bin/ directory."""
    run(sys.executable, "-m", "venv", path)
    return path / "bin"
