"""Run the API: in this process for one worker, or as uvicorn's own multi-process server for more."""

from __future__ import annotations

import os
import sys

from kb.config import Settings


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve the API and the search box until interrupted."""
    if workers == 1:
        import uvicorn

        from kb.api import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        return
    # uvicorn's worker processes each import the app factory and call it bare, so they can only learn the
    # settings from their environment: this process becomes uvicorn, started with the settings in its own.
    argv = [sys.executable, "-m", "uvicorn", "kb.api:create_app", "--factory", "--host", host, "--port", str(port),
            "--workers", str(workers), "--log-level", "warning"]
    sys.stderr.flush()
    os.execve(sys.executable, argv, settings.environ())
