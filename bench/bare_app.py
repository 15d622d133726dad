"""The ceiling for `make bench`: a bare Litestar endpoint, served by uvicorn as `tracker serve` is."""

from __future__ import annotations

import sys

import uvicorn
from litestar import Litestar, get


@get("/hello", sync_to_thread=False)
def hello() -> str:
    """The smallest answer Litestar gives."""
    return "hello"


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8001
    # As tracker/cli.py's `serve`: one process, uvicorn's defaults, no access log.
    uvicorn.run(Litestar([hello]), host="127.0.0.1", port=port, log_level="warning",
                log_config=None, access_log=False)
