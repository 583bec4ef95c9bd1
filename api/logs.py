"""Server logs: one JSON object a line (``SHEQUN_LOG_FORMAT=json``, the default) with the
request id on every line written while serving a request. Keys are never logged: requests are
logged by route and key id, and uvicorn's own access log (which prints raw paths) is off."""

from __future__ import annotations

import logging

from pythonjsonlogger.orjson import OrjsonFormatter

from api.observe import RequestIdFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(fmt: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(
            OrjsonFormatter(  # orjson writes UTF-8 as is (Chinese stays readable) at 2/3 of json's cost
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
