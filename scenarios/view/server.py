"""Serve the live pages on 127.0.0.1 (``gradient view``): a uvicorn server running Solara's Starlette app.

Key names: `serve`, `free_port`, `PAGE_NAMES`.

Offline by construction: the front-end comes from solara-assets (installed with the ``viz`` extra), Solara's
telemetry is switched off, and the CDN Solara would fall back to for an asset it lacks points at a closed
loopback port, so a missing asset shows as "Could not load URL" / an HTTP error instead of a request to the
internet.
"""

from __future__ import annotations

import logging
import os
import socket
import sys

PAGE_NAMES = ("membrane", "attention", "coupled")
HOST = "127.0.0.1"
OFFLINE_CDN = "http://127.0.0.1:9/"
"""Where Solara's asset proxy would fetch a missing asset: the discard port on loopback (always refused)."""


def free_port(host: str = HOST) -> int:
    """A TCP port free on `host` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def configure_env(page: str) -> None:
    """Environment Solara reads at import: the app module, the start page, no telemetry, no CDN."""
    if page not in PAGE_NAMES:
        raise ValueError(f"page(={page!r}) must be one of: {', '.join(PAGE_NAMES)}")
    os.environ["SOLARA_APP"] = "scenarios.view.pages"
    os.environ["GRADIENT_VIEW_PAGE"] = page
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_ASSETS_CDN"] = OFFLINE_CDN
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")


def serve(page: str = "membrane", port: int = 8765, announce: bool = True) -> None:
    """Serve the pages on ``http://127.0.0.1:PORT/`` (``/`` shows `page`; ``/membrane``, ``/attention``,
    ``/coupled`` each page) until interrupted.

    Args:
        page: the page at ``/``.
        port: TCP port on 127.0.0.1 (0 = any free port).
        announce: print the URL on stdout once bound.

    Raises:
        ValueError: an unknown page or a port outside 0..65535.
        RuntimeError: the port is taken, or the viz stack is not installed.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port(={port!r}) must be an integer between 0 and 65535")
    configure_env(page)
    if port:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((HOST, port))
        except OSError as exc:
            raise RuntimeError(f"cannot listen on {HOST}:{port}: {exc.strerror}; choose another --port") from None
    port = port or free_port()
    os.environ["SERVER_NAME"] = HOST
    os.environ["SERVER_PORT"] = str(port)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    try:
        import uvicorn
        from solara.server import settings
    except ImportError as exc:
        raise RuntimeError(f"the live view needs the viz extra (solara, uvicorn): {exc}") from None

    settings.main.mode = "production"
    config = uvicorn.Config("solara.server.starlette:app", host=HOST, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if announce:
        print(f"gradient view: serving http://{HOST}:{port}/ ({page}; also /membrane /attention /coupled)", flush=True)
    server.run()
