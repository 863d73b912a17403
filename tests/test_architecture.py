"""Structural tests of docs/architecture.md: the core never imports the shell, and no package
reaches into another package's private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "oncotrial"
CORE = ["records", "protocol", "clinical", "eligibility", "recist", "ctcae", "dosing",
        "endpoints", "stats", "design", "forms", "study"]
SHELL = ["store", "services", "web", "reports", "interop", "synth", "cli"]
#: Top-level core modules (not packages) that are part of the core too.
CORE_MODULES = ["errors", "context", "codes"]


@pytest.mark.parametrize("package", CORE + CORE_MODULES)
def test_core_package_does_not_import_the_shell(package: str) -> None:
    """Importing a core package in a fresh interpreter loads no shell module."""
    code = (
        "import importlib, sys\n"
        f"importlib.import_module('oncotrial.{package}')\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[:2] in "
        f"[['oncotrial', s] for s in {SHELL!r}])\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"oncotrial.{package} imports the shell: {out.stdout}"


def _imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) for every ``import oncotrial...`` and ``from oncotrial... import``."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names]
    return [f for f in found if f[1] == "oncotrial" or f[1].startswith("oncotrial.")]


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0].removesuffix(".py")


def _private_reaches(path: Path) -> list[str]:
    own = _package_of(path)
    bad = []
    for line, module, name in _imports(path):
        parts = module.split(".")
        target = parts[1] if len(parts) > 1 else ""
        if target == own:
            continue
        private_module = any(p.startswith("_") for p in parts[1:])
        private_name = name is not None and name.startswith("_") and not name.endswith("__")
        if private_module or private_name:
            bad.append(f"{path.relative_to(SRC)}:{line} imports {module}"
                       + (f".{name}" if name else ""))
    return bad


def test_no_package_imports_a_private_name_of_another() -> None:
    """A package uses another only through its public names (its ``__init__`` exports)."""
    bad = [b for p in sorted(SRC.rglob("*.py")) for b in _private_reaches(p)]
    assert bad == []


def test_core_sources_name_no_shell_module() -> None:
    """Even a lazy import inside a function counts: core files never name a shell package."""
    bad = []
    for package in CORE + CORE_MODULES:
        files = sorted((SRC / package).rglob("*.py")) if (SRC / package).is_dir() else \
            [SRC / f"{package}.py"]
        for path in files:
            if not path.exists():
                continue
            for line, module, _ in _imports(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[1] in SHELL:
                    bad.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert bad == []


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The private-name check flags a planted violation (so it is not a test that cannot fail)."""
    pkg = tmp_path / "oncotrial" / "dosing"
    pkg.mkdir(parents=True)
    planted = pkg / "bad.py"
    planted.write_text("from oncotrial.ctcae._private import thing\n"
                       "from oncotrial.recist import _helper\n"
                       "from oncotrial.dosing._own import fine\n", encoding="utf-8")
    global SRC
    saved, SRC = SRC, tmp_path / "oncotrial"
    try:
        found = _private_reaches(planted)
    finally:
        SRC = saved
    assert [f.split(" imports ")[1] for f in found] == ["oncotrial.ctcae._private.thing",
                                                        "oncotrial.recist._helper"]
