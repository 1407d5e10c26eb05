"""Logging: one handler, one redacting filter; our loggers by verbosity, the SDKs' silent unless asked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from deployer.logs import SDK_LOGGERS, configure_logging
from deployer.redaction import register_secret

SECRET = "canary-logs-5e1d2c"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A buffer to configure logging into; the logging set-up is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield io.StringIO()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name in ("deployer", *SDK_LOGGERS):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_token_is_masked_in_message_arguments_and_traceback(stream: io.StringIO) -> None:
    register_secret(SECRET)
    configure_logging(2, stream=stream)
    log = logging.getLogger("deployer.test")
    log.debug("sending %s", f"Bearer {SECRET}")
    log.info(f"token {SECRET} in the message itself")
    try:
        raise ValueError(f"header {SECRET!r}")
    except ValueError:
        log.exception("failed with %r", {"Authorization": "Bearer other-secret-value"})
    text = stream.getvalue()
    assert SECRET not in text
    assert "other-secret-value" not in text
    assert "sending Bearer ********" in text
    assert "'Authorization': '********'" in text
    assert "ValueError: header '********'" in text


def test_without_flags_only_warnings_of_ours_and_nothing_of_the_sdks(stream: io.StringIO) -> None:
    configure_logging(0, stream=stream)
    logging.getLogger("deployer.x").info("an info line")
    logging.getLogger("deployer.x").warning("a warning line")
    logging.getLogger("azure.identity._credentials.chained").warning("DefaultAzureCredential failed ...")
    logging.getLogger("urllib3.connectionpool").warning("Retrying ...")
    assert stream.getvalue() == "WARNING: a warning line\n"


@pytest.mark.parametrize(("verbosity", "shown"), [(1, ["info"]), (2, ["info", "debug"])])
def test_verbosity_raises_our_loggers_only(stream: io.StringIO, verbosity: int, shown: list[str]) -> None:
    configure_logging(verbosity, stream=stream)
    logging.getLogger("deployer.x").info("info")
    logging.getLogger("deployer.x").debug("debug")
    logging.getLogger("azure.core").warning("sdk")
    lines = [line.rsplit(": ", 1)[-1] for line in stream.getvalue().splitlines()]
    assert lines == shown


def test_sdk_lines_appear_when_asked_and_are_masked_too(stream: io.StringIO) -> None:
    configure_logging(2, sdk=True, stream=stream)
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").info(
        "Request headers: 'Authorization': 'Bearer abc.def.ghi'"
    )
    text = stream.getvalue()
    assert "azure.core.pipeline.policies.http_logging_policy" in text
    assert "'Authorization': '********'" in text


def test_configuring_twice_keeps_one_handler(stream: io.StringIO) -> None:
    configure_logging(1, stream=stream)
    configure_logging(1, stream=stream)
    logging.getLogger("deployer.x").info("once")
    assert stream.getvalue().count("once") == 1
