"""The domain package imports without Prefect, FastAPI or the orchestration layers.

import-linter (``lint-imports``, in CI) checks the layer contract statically; this test checks it
at run time: every module of ``inventory`` outside ``inventory.interfaces`` is imported in a fresh
interpreter where ``prefect``, ``fastapi`` (and their servers) and ``flows``/``tasks`` cannot be
imported at all.
"""

from __future__ import annotations

import ast
import importlib.metadata
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import inventory

BLOCKED = ("prefect", "prefect_dask", "fastapi", "starlette", "uvicorn", "flows", "tasks")
INTERFACES = "inventory.interfaces"
ROOT = Path(__file__).resolve().parents[1]
# The stage packages of inventory/ in pipeline order, the bottom layer first.
PIPELINE = [
    "core", "lake", "intake", "validation", "harmonise", "engine", "scenarios", "reporting",
    "interfaces",
]  # fmt: skip

_PROBE = """
import importlib, importlib.abc, sys

BLOCKED = {blocked!r}

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the domain imported {{name}}")
        return None

sys.meta_path.insert(0, Blocker())
for module in {modules!r}:
    importlib.import_module(module)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not leaked, leaked
print(len({modules!r}))
"""


def domain_modules() -> list[str]:
    names = [
        m.name
        for m in pkgutil.walk_packages(inventory.__path__, prefix="inventory.")
        if not m.name.startswith(INTERFACES)
    ]
    return sorted(names)


def test_every_domain_module_imports_without_prefect_or_fastapi():
    modules = domain_modules()
    assert len(modules) > 40  # the stage packages and their modules
    probe = _PROBE.format(blocked=BLOCKED, modules=modules)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(len(modules))


def test_the_stage_packages_read_as_the_pipeline():
    """The stage packages are the pipeline's stages, and the layer contract of import-linter
    (pyproject.toml, top layer first) lists them in pipeline order read backwards: each stage
    may import only the stages before it."""
    on_disk = {
        m.name for m in pkgutil.iter_modules(inventory.__path__) if m.ispkg and m.name != "data"
    }
    assert on_disk == set(PIPELINE)
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    stages = [layer.removeprefix("inventory.") for layer in reversed(layers)
              if layer.startswith("inventory.")]  # fmt: skip
    assert stages == PIPELINE


def _distribution(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name[0]).lower()


def test_every_imported_package_is_a_declared_dependency():
    """What inventory/, flows/ and tasks/ import is declared in pyproject.toml (the grid extra
    for the optional grid stack), not merely pulled in by another package."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_distribution(r) for r in
                [*project["dependencies"], *project["optional-dependencies"]["grid"]]}  # fmt: skip
    imported: set[str] = set()
    for folder in ("inventory", "flows", "tasks"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    first_party = {"__future__", "inventory", "flows", "tasks"}
    third_party = imported - set(sys.stdlib_module_names) - first_party
    providers = importlib.metadata.packages_distributions()
    undeclared = {
        module: providers.get(module)
        for module in sorted(third_party)
        if not {_distribution(d) for d in providers.get(module, [])} & declared
    }
    assert undeclared == {}
