"""The GX expectation suites (JSON), shipped in the wheel as ``inventory.suites`` (setup.py)."""
