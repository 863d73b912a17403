"""Structural tests: the core never imports the shell."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["protocol", "clinical", "eligibility", "recist", "ctcae", "dosing", "endpoints", "stats",
        "design"]
SHELL = ["store", "services", "web", "reports", "interop", "synth", "cli"]


@pytest.mark.parametrize("package", CORE)
def test_core_package_does_not_import_the_shell(package: str) -> None:
    """Importing a core package in a fresh interpreter loads no shell module."""
    code = (
        "import importlib, importlib.util, sys\n"
        f"name = 'oncotrial.{package}'\n"
        "if importlib.util.find_spec(name) is None:\n"
        "    print('ABSENT'); sys.exit(0)\n"
        "importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[:2] in "
        f"[['oncotrial', s] for s in {SHELL!r}])\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    if out.stdout.strip() == "ABSENT":
        pytest.skip(f"oncotrial.{package} does not exist yet")
    assert out.stdout.strip() == "", f"oncotrial.{package} imports the shell: {out.stdout}"
