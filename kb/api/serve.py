"""Run the API: in this process for one worker, or as uvicorn's own multi-process server for more."""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

from kb.config import Settings


def log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging: one line per request on stderr (its access log) unless turned off; of its own messages
    only warnings and errors (kb serve prints where it listens)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


def run_server(settings: Settings, host: str, port: int, workers: int = 1, access_log: bool = True) -> None:
    """Serve the API and the search box until interrupted, logging each request unless `access_log` is False."""
    if workers == 1:
        import uvicorn

        from kb.api import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=None, log_config=log_config(access_log),
                    access_log=access_log)
        return
    # uvicorn's worker processes each import the app factory and call it bare, so they can only learn the
    # settings from their environment: this process becomes uvicorn, started with the settings in its own.
    # Its command line takes a log level, not a config: info (start-up lines too) with the access log, else warning.
    logging = ["--log-level", "info"] if access_log else ["--log-level", "warning", "--no-access-log"]
    argv = [sys.executable, "-m", "uvicorn", "kb.api:create_app", "--factory", "--host", host, "--port", str(port),
            "--workers", str(workers), *logging]
    sys.stderr.flush()
    os.execve(sys.executable, argv, settings.environ())
