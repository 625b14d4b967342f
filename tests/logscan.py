"""A pytest plugin: no log record of the whole run may hold an ID number or a mobile number.

Nothing a test does to logging hides a record from it. Every logging call is seen before any
level check (``Logger.debug`` … ``Logger.log`` are wrapped), so ``caplog.set_level``,
``logging.disable``, raised logger levels, removed handlers, ``propagate = False`` or a
``dictConfig`` still leave the message scanned; and every record made any other way is seen
where it is made (the log record factory is wrapped too). The message, exception text and
stack are scanned, and so are the warnings pytest records. The session fails at the end with
the test and the record named (the number itself masked). A test that replaces the record
factory fails the session too.

Loaded by ``pytest_plugins`` in tests/conftest.py. Processes the tests start (gunicorn
workers, CLI subprocesses) log elsewhere and are not covered here.
"""
from __future__ import annotations

import functools
import logging
import sys
from dataclasses import dataclass

import pytest

from tests import pii

SESSION = "(outside any test)"
# Loggers of test doubles that are the recipient of a number by design, and why.
EXEMPT_LOGGERS = {
    "mail.log": "aiosmtpd, the fake SMS-by-email gateway of tests/notify: it receives the "
                "phone as its recipient address (the portal itself logs only masked numbers)",
}


@dataclass(frozen=True)
class Finding:
    test: str
    where: str  # logger and level, or "warning"
    text: str  # the record with its identifiers masked

    def __str__(self) -> str:
        return f"{self.test}: {self.where}: {self.text}"


def mask(text: str, found: set[str]) -> str:
    """The text (in the folded spelling the numbers were found in) with them masked."""
    text = pii.spellings(text)[1]
    for value in found:
        text = text.replace(value, value[:3] + "*" * (len(value) - 5) + value[-2:])
    return text


def record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record: scan its parts as they are
        message = f"{record.msg} {record.args}"
    parts = [message]
    if record.exc_info and record.exc_info[0] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def call_text(msg, args, exc_info) -> str:
    """What a logging call would write, whether or not any level lets it through."""
    try:
        text = str(msg) % args if args else str(msg)
    except Exception:  # noqa: BLE001 - a malformed call: scan its parts as they are
        text = f"{msg} {args}"
    if exc_info:
        if exc_info is True or isinstance(exc_info, BaseException):
            exc_info = sys.exc_info() if exc_info is True else (
                type(exc_info), exc_info, exc_info.__traceback__)
        if exc_info[0] is not None:
            text += "\n" + logging.Formatter().formatException(exc_info)
    return text


def _one_frame_up(kwargs: dict) -> dict:
    """The record names the caller's file and line, not this wrapper's."""
    return {**kwargs, "stacklevel": kwargs.get("stacklevel", 1) + 1}


LEVEL_METHODS = ("debug", "info", "warning", "error", "critical")


class LogScan:
    def __init__(self) -> None:
        self.findings: dict[tuple[str, str], Finding] = {}
        self.test = SESSION
        self.previous = logging.getLogRecordFactory()
        self.factory = self._make_record
        logging.setLogRecordFactory(self.factory)
        self.originals = {name: getattr(logging.Logger, name) for name in (*LEVEL_METHODS, "log")}
        for name in LEVEL_METHODS:
            setattr(logging.Logger, name, self._watched(name, self.originals[name]))
        logging.Logger.log = self._watched_log(self.originals["log"])

    def _watched(self, level: str, original):
        @functools.wraps(original)
        def watched(logger, msg, *args, **kwargs):
            if logger.name not in EXEMPT_LOGGERS:
                self.scan(call_text(msg, args, kwargs.get("exc_info")),
                          f"log {logger.name} {level}")
            return original(logger, msg, *args, **_one_frame_up(kwargs))
        return watched

    def _watched_log(self, original):
        @functools.wraps(original)
        def watched(logger, level, msg, *args, **kwargs):
            if logger.name not in EXEMPT_LOGGERS:
                self.scan(call_text(msg, args, kwargs.get("exc_info")),
                          f"log {logger.name} {logging.getLevelName(level)}")
            return original(logger, level, msg, *args, **_one_frame_up(kwargs))
        return watched

    def _make_record(self, *args, **kwargs) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        if record.name not in EXEMPT_LOGGERS:
            self.scan(record_text(record), f"log {record.name} {record.levelname}")
        return record

    def scan(self, text: str, where: str, test: str | None = None) -> None:
        found = pii.identifiers(text)
        if found:
            test, masked = test or self.test, mask(text, found)[:500]
            self.findings.setdefault((test, masked), Finding(test, where, masked))

    def scan_failure(self, text: str) -> None:
        self.findings[(SESSION, text)] = Finding(SESSION, "logging", text)

    def restore(self) -> None:
        logging.setLogRecordFactory(self.previous)
        for name, original in self.originals.items():
            setattr(logging.Logger, name, original)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item):
        self.test = item.nodeid
        try:
            return (yield)
        finally:
            self.test = SESSION

    def pytest_warning_recorded(self, warning_message, when, nodeid, location):
        self.scan(str(warning_message.message), f"warning ({when})", nodeid or None)

    def pytest_sessionfinish(self, session):
        if logging.getLogRecordFactory() is not self.factory:
            self.scan_failure("the log record factory was replaced: later records not scanned")
        self.restore()
        if self.findings:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if not self.findings:
            return
        terminalreporter.section("log scan: ID or phone numbers in log records", red=True)
        for finding in self.findings.values():
            terminalreporter.line(str(finding), red=True)
        terminalreporter.line(f"{len(self.findings)} log record(s) hold personal identifiers: "
                              "log masked values (portal.privacy.mask_*) instead", red=True)


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("logscan-instance"):
        config.pluginmanager.register(LogScan(), "logscan-instance")
