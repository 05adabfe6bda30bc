"""The import-linter contracts (pyproject.toml, run by `make lint`) hold, and catch what they
are for: an upward import planted in a copy of the tree breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vectis", "catalog", "warehouses", "inventory", "orders", "returns", "webhooks")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("*.pyc"))
    return tree


def test_the_layer_contracts_hold_and_catch_planted_imports(tmp_path):
    tree = _copy(tmp_path)
    # given the tree as it is: every contract kept
    kept = _lint(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "Contracts: 2 kept, 0 broken." in kept.stdout
    # when a lower app imports a higher one, and a service imports the API
    (tree / "catalog" / "planted.py").write_text("import orders.models  # noqa\n")
    (tree / "warehouses" / "services.py").write_text(
        (tree / "warehouses" / "services.py").read_text() + "\nimport warehouses.api.views\n"
    )
    broken = _lint(tree)
    # then both contracts name what was planted
    assert broken.returncode != 0
    assert "catalog.planted -> orders.models" in broken.stdout, broken.stdout
    assert "warehouses.services -> warehouses.api.views" in broken.stdout, broken.stdout
    assert "Contracts: 0 kept, 2 broken." in broken.stdout
