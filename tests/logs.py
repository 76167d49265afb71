"""The structured log lines (``core.recovery.log_event``) a test captured, as operators read them."""

import logging

_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def event_fields(record: logging.LogRecord) -> dict:
    """The event's name and fields, without the attributes every log record has."""
    return {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}


def logged_events(caplog, event: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if getattr(record, "event", None) == event]
