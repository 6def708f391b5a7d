"""No personal number reaches a log in clear: ID numbers and credit codes are masked in every
log record the process makes, and the access log carries paths without their query.

Why in the logging system and not at each call: keys travel in URLs (a subject in the path of
`/v1/subjects/{key}`, in the query of prefill and of console pages), in exception messages and
in whatever a library chooses to log. A record factory sees every record of every logger
(ours, uvicorn's, Dagster's) before any handler formats it, so one place decides, whichever
handlers an operator configures. Masked keys keep their first four and last two characters:
enough to tell two log lines apart, not enough to find the person.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.parse
from typing import Any

# Digits include full-width ones (\d is Unicode-aware), as department files and users type them.
_ID_NUMBER = r"\d{17}[\dXxＸｘ]|\d{15}"
_CREDIT_CODE = r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}"
_KEYS = re.compile(
    rf"(?<![0-9A-Za-z０-９])(?:{_ID_NUMBER}|{_CREDIT_CODE})(?![0-9A-Za-z０-９])", re.IGNORECASE
)
ACCESS_LOGGER = "uvicorn.access"
_ACCESS_PATH = 2  # uvicorn's access record: (client, method, path?query, http version, status)
_installed = threading.Lock()
_factory_installed = False


def mask_key(key: str) -> str:
    """`11010519491231002X` -> `1101************2X`."""
    return key[:4] + "*" * (len(key) - 6) + key[-2:]


def mask_keys(text: str) -> str:
    """`text` with every ID number (18 or 15 digits) and credit code in it masked."""
    return _KEYS.sub(lambda found: mask_key(found.group()), text)


def path_without_query(target: str) -> str:
    """A request target as it may be logged: the path only (the query carries subjects and,
    from careless clients, tokens), decoded so that a percent-encoded key is masked too."""
    path = target.split("?", 1)[0]
    decoded = urllib.parse.unquote(path)
    masked = mask_keys(decoded)
    return path if masked == decoded else masked


def _masked_argument(value: Any) -> Any:
    if isinstance(value, str):
        return mask_keys(value)
    if value is None or isinstance(value, int | float | bool):
        return value  # formatted with %d or %f: leave the type alone
    text = str(value)
    masked = mask_keys(text)
    return value if masked == text else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask keys in a record's message, arguments and traceback, in place."""
    if isinstance(record.msg, str):
        record.msg = mask_keys(record.msg)
    elif record.msg is not None and not isinstance(record.msg, int | float):
        record.msg = mask_keys(str(record.msg))
    if isinstance(record.args, tuple):
        record.args = tuple(_masked_argument(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _masked_argument(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set, so the traceback is masked once, here.
        record.exc_text = mask_keys(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_keys(record.stack_info)
    return record


class MaskKeys(logging.Filter):
    """A filter for handlers configured by hand (e.g. uvicorn's `log_config`), for records made
    before `install` ran or by a logger that builds records itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class PathWithoutQuery(logging.Filter):
    """uvicorn's access log with `path_without_query` in place of the full request target."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > _ACCESS_PATH:
            arguments = list(record.args)
            arguments[_ACCESS_PATH] = path_without_query(str(arguments[_ACCESS_PATH]))
            record.args = tuple(arguments)
        return True


def install() -> None:
    """Mask keys in every log record this process makes from now on, and log access paths
    without their query. Idempotent; the API, the command line and the pipelines call it."""
    global _factory_installed
    with _installed:
        if not _factory_installed:
            make = logging.getLogRecordFactory()

            def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
                return mask_record(make(*args, **kwargs))

            logging.setLogRecordFactory(masked_record)
            _factory_installed = True
        access = logging.getLogger(ACCESS_LOGGER)
        if not any(isinstance(f, PathWithoutQuery) for f in access.filters):
            access.addFilter(PathWithoutQuery())
