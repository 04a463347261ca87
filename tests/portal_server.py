"""A portal server process for the multi-process tests: ``python portal_server.py LAKE PORT``.

The app of :func:`inventory.interfaces.api.create_app` over ``LAKE``, the intake flow replaced
by ``test_api.stub_intake`` (as in ``test_portal.py``), served with the project's uvicorn
configuration (:func:`inventory.interfaces.http_guard.server_config`) on 127.0.0.1:PORT.
"""

from __future__ import annotations

import sys

import uvicorn
from test_api import stub_intake

from inventory.interfaces import api, http_guard


def main(lake: str, port: int) -> None:
    app = api.create_app(lake)
    app.state.intake = stub_intake
    app.state.announce = lambda *_args: None  # no Prefect server to announce to
    uvicorn.Server(http_guard.server_config(app, "127.0.0.1", port, log_level="warning")).run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
