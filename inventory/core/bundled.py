"""Files shipped with the package: the GX suites, the example packages and ``prefect.yaml``.

They live at the top of the project checkout (``expectations/``, ``examples/``,
``prefect.yaml``) and are mapped into the wheel as ``inventory.suites``, ``inventory.examples``
and ``inventory.deploy`` (see ``setup.py``), so an installed wheel finds them with
``importlib.resources`` wherever it runs. An editable install (``pip install -e .``) maps the two
folders the same way; ``prefect.yaml`` at the checkout root is read from there.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from inventory.core.errors import NotFoundError

SUITES_PACKAGE = "inventory.suites"
EXAMPLES_PACKAGE = "inventory.examples"
DEPLOY_PACKAGE = "inventory.deploy"
PREFECT_YAML = "prefect.yaml"
_CHECKOUT = Path(__file__).resolve().parents[2]
EXAMPLE_COUNTRIES = ("IRL", "KEN", "URY")


def suite_file(name: str) -> Traversable:
    """The GX suite of a dataset type (``expectations/<name>.json``)."""
    return resources.files(SUITES_PACKAGE).joinpath(f"{name}.json")


def suite_names() -> list[str]:
    """Dataset types with a suite, sorted."""
    entries = resources.files(SUITES_PACKAGE).iterdir()
    return sorted(e.name.removesuffix(".json") for e in entries if e.name.endswith(".json"))


def examples_dir() -> Path:
    """The folder of the example packages (one sub-folder per country)."""
    return _directory(resources.files(EXAMPLES_PACKAGE))


def example_package(country: str) -> Path:
    """The example package of one country (``examples/<ISO3>``)."""
    return examples_dir() / country


def prefect_yaml_text() -> str:
    """Text of ``prefect.yaml``: the wheel's copy, else the checkout's."""
    try:
        packaged = resources.files(DEPLOY_PACKAGE).joinpath(PREFECT_YAML)
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except ModuleNotFoundError:  # editable install: the checkout root is no package
        pass
    return (_CHECKOUT / PREFECT_YAML).read_text(encoding="utf-8")


def _directory(entry: Traversable) -> Path:
    """A package folder as a path (packages are installed as files, never zipped)."""
    path = Path(str(entry))
    if not path.is_dir():
        raise NotFoundError(f"{entry} is not a folder on disk", "install the package unzipped")
    return path
