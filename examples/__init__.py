"""The synthetic example packages, shipped in the wheel as ``inventory.examples`` (setup.py)."""
