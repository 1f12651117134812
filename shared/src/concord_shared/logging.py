"""structlog set-up: JSON when not on a terminal, readable when on one, and never personal data.

Handlers bind case_id, event_id and correlation_id with structlog's contextvars, so every
line they log carries them.
"""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from concord_shared.redaction import redact
from concord_shared.tracing import log_ids

# Keys whose values are personal data wherever they appear in a log call.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "names",
        "phone",
        "phone_number",
        "id_number",
        "identity_number",
        "address",
        "email",
        "parties",
        "party",
        "contact",
        "contacts",
    }
)


def drop_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in PERSONAL_KEYS:
            event_dict[key] = "[redacted]"
        elif isinstance(event_dict[key], str):
            # Free text (an error, a note): the same redactor as what leaves intake.
            event_dict[key] = redact(event_dict[key])
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "auto") -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer()
    )

    def add_service(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        log_ids,
        drop_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries log through the standard library: same format, same redaction.
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
