"""Packages of the wheel (metadata and dependencies are in pyproject.toml).

The code packages are found automatically. The project's top-level data folders stay where they
are in the checkout and are shipped inside the wheel under ``inventory`` (read with
``importlib.resources`` through ``inventory.core.bundled``):

* ``expectations/`` -> ``inventory.suites`` (the GX suites, one JSON per dataset type);
* ``examples/`` -> ``inventory.examples`` (the synthetic example packages);
* ``prefect.yaml`` -> ``inventory.deploy`` (the deployments: names, schedule, event trigger).
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DATA_PACKAGES = {
    "inventory.suites": "expectations",
    "inventory.examples": "examples",
    "inventory.deploy": ".",  # only prefect.yaml (package data); no module of the root
}


class BuildPy(build_py):
    """Ship the data folders' data files and ``__init__.py``, never their scripts
    (``examples/generate.py``) nor the root's ``setup.py``."""

    def find_package_modules(self, package, package_dir):
        found = super().find_package_modules(package, package_dir)
        if package in DATA_PACKAGES:
            return [entry for entry in found if entry[1] == "__init__"]
        return found


setup(
    packages=find_packages(include=["flows*", "tasks*", "inventory*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    cmdclass={"build_py": BuildPy},
)
