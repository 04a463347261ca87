"""National soil organic carbon inventory: the domain package (importable without Prefect)."""

__version__ = "0.1.0"
