"""Property-based fuzzing (hypothesis) of settings files and ``dcr test`` inputs, through the installed CLI.

Properties of every run: an exit code the input allows (0 or 2 for settings; 0, 1 or 2 for dcr test),
never 3 without a named cause, never a traceback or the word "bug", and bounded time and memory (the
subprocess runs under an address-space and CPU limit and a timeout; exceeding one fails the property).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import full
from tests.reliability.harness import child_environment, record, run

SECTIONS = ("azure", "workspace", "table", "resources", "terraform", "miro", "lock", "validation", "health", "local")
KEYS = (
    "tenant_id", "subscription_id", "resource_group", "location", "name", "plan", "retention_in_days",
    "dcr_name", "tags", "backend", "state_key", "api_base_url", "token_source", "wait_seconds",
    "lease_seconds", "storage_account", "time_scale", "bogus", "",
)  # fmt: skip

#: TOML-writable scalars, including the awkward ones.
scalars = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if value != value
            else ("inf" if value == float("inf") else "-inf" if value == float("-inf") else repr(value))
        )
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)  # a basic TOML string is a JSON string for these characters


def toml_key(key: str) -> str:
    return key if key and key.replace("_", "").isalnum() and key.isascii() else json.dumps(key)


settings_files = st.builds(
    lambda top, sections: "\n".join(
        [f"{toml_key(k)} = {toml_value(v)}" for k, v in top.items()]
        + [
            f"\n[{name}]\n" + "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in body.items())
            for name, body in sections.items()
        ]
    ),
    st.dictionaries(
        st.sampled_from(("cloud", "engine", "bogus")),
        st.one_of(st.sampled_from(("azure", "local", "arm", "terraform")), values),
        max_size=3,
    ),
    st.dictionaries(st.sampled_from(SECTIONS), st.dictionaries(st.sampled_from(KEYS), values, max_size=4), max_size=4),
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20,
)
events = st.lists(
    st.fixed_dictionaries(
        {"id": st.one_of(st.text(max_size=12), st.integers())},
        optional={
            "event": st.text(max_size=20),
            "createdAt": st.one_of(st.text(max_size=30), st.just("2024-05-01T00:00:00.000+0000")),
            "details": json_values,
            "context": json_values,
        },
    ),
    max_size=5,
)
FRAGMENTS = (
    "source", "| extend x = ", "| project ", "| where ", "tostring(", "todatetime(", "parse_json(", ")", "(",
    "id", "createdAt", "1", '"a"', " == ", " and ", ", ", "TimeGenerated = now()", "| summarize count()",
    "let f = (s:string) { s };", "iif(", "datatable(a:string)[\"x\"]", "// c\n", "\n",
)  # fmt: skip
transforms = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)


def examples(request: pytest.FixtureRequest) -> int:
    return 20 if full(request.config) else 3


def check(args: tuple[str, ...], files: dict[str, str], allowed: set[int], what: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        root = Path(folder)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome = run(args, cwd=root, env=child_environment(), timeout=120)
    problems = record(outcome, allowed, what)
    assert problems == [], f"{what}: {problems}\n{files}\n{outcome.stderr[-800:]}"


def test_any_settings_file_is_valid_or_refused_with_exit_2(request: pytest.FixtureRequest) -> None:
    @settings(max_examples=examples(request), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(settings_files)
    def property_(text: str) -> None:
        check(("config", "check", "--env", "fuzz"), {"envs/fuzz.toml": text}, {0, 2}, "fuzzed settings")

    property_()


def test_any_events_and_transform_are_checked_or_refused_never_a_crash(request: pytest.FixtureRequest) -> None:
    @settings(max_examples=examples(request), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(events, transforms)
    def property_(batch: list[dict[str, Any]], transform: str) -> None:
        files = {"events.json": json.dumps(batch), "t.kql": transform}
        check(("dcr", "test", "--events", "events.json", "--transform", "t.kql"), files, {0, 1, 2}, "fuzzed dcr test")

    property_()
