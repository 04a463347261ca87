"""The web portal for country contact points and compilers, served by the submission API's app.

Server-rendered (Jinja2 templates in ``templates/``, one stylesheet in ``static/``), no
JavaScript at all, nothing loaded from elsewhere: it works offline. Routes live under
``/portal``:

* sign-in with a token (:mod:`.signin`), exchanged for a session cookie (:mod:`.security`);
* a country's pages (:mod:`.contact`): templates, upload, submissions and their reports,
  published results; a contact point sees only its country;
* the compilers' pages (:mod:`.compiler`): countries, runs, releases, recalculations, tokens;
* background uploads and runs the pages follow (:mod:`.jobs`), and what is read from the
  lake (:mod:`.history`).
"""

from __future__ import annotations

from typing import Any

from fastapi.staticfiles import StaticFiles

from inventory.core.settings import get_settings
from inventory.interfaces.portal import compiler, contact, jobs, signin, web
from inventory.interfaces.portal.store import StateStore, state_path


def install_portal(app: Any) -> None:
    """Add the portal's routes, static files, state and HTML error pages to the API's app."""
    store = StateStore(state_path(app.state.lake.root))
    proxies = get_settings().trusted_proxy_networks
    app.state.portal = web.PortalState(store=store, jobs=jobs.JobRegistry(store),
                                       trusted_proxies=proxies)  # fmt: skip
    app.mount(f"{web.PORTAL}/static", StaticFiles(directory=web.HERE / "static"), name="static")
    for module in (signin, contact, compiler):
        app.include_router(module.router, prefix=web.PORTAL)
    web.install_error_handlers(app)
