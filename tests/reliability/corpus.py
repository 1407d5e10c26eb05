"""The bad-input corpus: settings files, flags, environment variables, tokens and ``dcr test`` inputs.

Each :class:`Case` is one thing a clumsy operator (or an attacker) could hand the CLI, with the exit codes
that are a clean answer to it: 2 for input that is wrong (the usual case), 1 where ``dcr test`` judges a
transform or events and fails them, 3 where the input is fine but names an endpoint that does not answer
(a closed port on this machine: nothing leaves it). ``pending`` names the branch whose work a case waits
for; such a case is counted, and expected to fail, until that branch is on main.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["BASE_SETTINGS", "CASES", "Case"]

#: A valid Azure environment whose every endpoint is a closed port on this machine.
BASE_SETTINGS = """cloud = "azure"
engine = "arm"

[azure]
tenant_id = "11111111-1111-1111-1111-111111111111"
subscription_id = "22222222-2222-2222-2222-222222222222"
resource_group = "rg-reliability"
location = "westeurope"
retry_budget_seconds = 1
max_attempts = 1

[workspace]
name = "law-reliability"

[miro]
api_base_url = "https://127.0.0.1:9"
retry_budget_seconds = 1
max_attempts = 1
"""

#: Commands that read the settings first; settings cases rotate through them.
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("deploy", "--yes"),
    ("plan",),
    ("destroy", "--yes"),
    ("validate",),
    ("health",),
    ("check-token",),
    ("config", "check"),
)


@dataclass(frozen=True)
class Case:
    """One bad input: the command line, files to write, environment, token and what a clean answer is."""

    name: str
    args: tuple[str, ...]
    allowed: frozenset[int] = frozenset({2})
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: The Miro token (``None``: the canary); ``b"..."`` sets it through the environment as raw bytes.
    token: str | bytes | None = None
    stdin: bytes | None = None
    #: Too big or slow to run inside the test process (only ever as a limited subprocess).
    heavy: bool = False
    pending: str | None = None
    #: What the first error line must contain, when the case pins it.
    says: str = ""


def _settings(name: str, text: str, command_index: int, *, says: str = "", allowed: int = 2) -> Case:
    command = COMMANDS[command_index % len(COMMANDS)]
    return Case(
        f"settings: {name}",
        (*command, "--env", "bad"),
        frozenset({allowed}),
        files={"envs/bad.toml": text.encode("utf-8", "surrogateescape")},
        says=says,
    )


def _edit(section: str, line: str) -> str:
    """BASE_SETTINGS with ``line`` added to ``section`` (a new section when absent; "" for the top)."""
    if not section:
        return line + "\n" + BASE_SETTINGS
    header = f"[{section}]\n"
    if header in BASE_SETTINGS:
        return BASE_SETTINGS.replace(header, header + line + "\n", 1)
    return BASE_SETTINGS + f"\n{header}{line}\n"


def _settings_cases() -> list[Case]:
    raw: list[tuple[str, str]] = [
        ("an unterminated string", 'cloud = "azure\n'),
        ("a key without a value", "cloud =\n"),
        ("a line without '='", "cloud azure\n"),
        ("a duplicate key", BASE_SETTINGS + 'cloud = "local"\n'),
        ("a duplicate table", BASE_SETTINGS + "[azure]\nlocation = 'x'\n"),
        ("a bad unicode escape", 'cloud = "\\uZZZZ"\n'),
        ("binary garbage", "\x00\x01\x02\xff\xfe"),
        ("an empty file", ""),
        ("a byte order mark", "\ufeff" + BASE_SETTINGS),
        ("a NUL in a value", BASE_SETTINGS.replace("rg-reliability", "rg\x00x")),
        ("deeply nested arrays", "x = " + "[" * 5000 + "]" * 5000 + "\n"),
        ("deeply nested inline tables", "x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"),
        ("a megabyte value", _edit("workspace", 'resource_group = "' + "r" * 1_000_000 + '"')),
        ("a table where a value belongs", _edit("", "cloud = { a = 1 }")),
        ("an array where a string belongs", _edit("azure", 'credential = ["cli"]')),
        ("an unknown top-level key", _edit("", "bogus = 1")),
        ("an unknown section", BASE_SETTINGS + "\n[bogus]\na = 1\n"),
        ("an unknown key in a section", _edit("azure", "bogus = 1")),
        ("cloud is a number", BASE_SETTINGS.replace('cloud = "azure"', "cloud = 1")),
        ("cloud is unknown", BASE_SETTINGS.replace('cloud = "azure"', 'cloud = "mars"')),
        ("engine is unknown", BASE_SETTINGS.replace('engine = "arm"', 'engine = "pulumi"')),
        ("a tenant that is not a GUID", BASE_SETTINGS.replace("11111111-1111-1111-1111-111111111111", "tenant")),
        ("an empty subscription", BASE_SETTINGS.replace("22222222-2222-2222-2222-222222222222", "")),
        ("a location that is a number", BASE_SETTINGS.replace('location = "westeurope"', "location = 5")),
        ("a resource group with a slash", BASE_SETTINGS.replace("rg-reliability", "../../etc")),
        ("a workspace name of 1000 characters", BASE_SETTINGS.replace("law-reliability", "w" * 1000)),
        ("retention as text", _edit("table", 'retention_in_days = "x"')),
        ("negative retention", _edit("table", "retention_in_days = -5")),
        ("retention beyond Azure's range", _edit("table", "retention_in_days = 100000")),
        ("an infinite number", _edit("lock", "wait_seconds = inf")),
        ("not a number", _edit("lock", "wait_seconds = nan")),
        ("a negative wait", _edit("lock", "wait_seconds = -1")),
        ("a lease too short for Azure", _edit("lock", "lease_seconds = 5")),
        ("a lock account with capitals", _edit("lock", 'storage_account = "Bad_Account"')),
        ("a plan Azure does not have", _edit("table", 'plan = "Premium"')),
        ("a table name without _CL", _edit("table", 'name = "MiroAuditLogs"')),
        ("a table name with a quote", _edit("table", 'name = "Miro\'; DROP TABLE x; --_CL"')),
        ("an http Miro URL", BASE_SETTINGS.replace("https://127.0.0.1:9", "http://127.0.0.1:9")),
        ("a javascript Miro URL", BASE_SETTINGS.replace("https://127.0.0.1:9", "javascript:alert(1)")),
        ("a token variable with a space", _edit("miro", 'token_env_var = "MIRO TOKEN"')),
        ("an unknown token source", _edit("miro", 'token_source = "clipboard"')),
        ("a Key Vault source without a secret", _edit("miro", 'token_source = "keyvault"')),
        ("a Key Vault secret that is not a URL", _edit("miro", 'keyvault_secret_id = "secret"')),
        ("a DCR name with a path", _edit("resources", 'dcr_name = "../../x"')),
        ("tags that are not a table", _edit("resources", 'tags = "owner"')),
        ("a tag value that is a number", _edit("resources", "tags = { owner = 1 }")),
        ("a principal type Azure does not have", _edit("validation", 'principal_type = "Robot"')),
        ("a state key without .tfstate", _edit("terraform", 'state_key = "state"')),
        ("a Terraform timeout of a second", _edit("terraform", "timeout_seconds = 1")),
        ("a credential kind that does not exist", _edit("azure", 'credential = "password"')),
        ("a retry budget as text", _edit("azure", 'retry_budget_seconds = "long"')),
        ("zero attempts", _edit("azure", "max_attempts = 0")),
        ("a section given as a value", _edit("", "lock = 5")),
        ("a local time scale of zero", BASE_SETTINGS + "\n[local]\ntime_scale = 0\n"),
        ("a date where a string belongs", _edit("azure", "location = 1979-05-27")),
    ]
    return [_settings(name, text, i) for i, (name, text) in enumerate(raw)]


def _environment_name_cases() -> list[Case]:
    return [
        Case("env name: missing file", ("plan", "--env", "nonexistent")),
        Case("env name: a path", ("plan", "--env", "../../etc/passwd")),
        Case("env name: empty", ("health", "--env", "")),
        Case("env name: 5000 characters", ("deploy", "--env", "e" * 5000)),
        Case("env name: a directory", ("plan", "--env", "dir"), files={"envs/dir.toml/x": b""}),
        Case("env name: with a space", ("check-token", "--env", "my env")),
        Case("env name: non-ASCII", ("validate", "--env", "prod€")),
        Case("env name: a glob", ("destroy", "--yes", "--env", "*")),
    ]


def _flag_cases() -> list[Case]:
    env = ("--env", "base")
    return [
        Case("flag: unknown option", ("deploy", *env, "--force")),
        Case("flag: unknown command", ("deploi", *env)),
        Case("flag: no command", ("--env",)),
        Case("flag: output yaml", ("plan", *env, "--output", "yaml")),
        Case("flag: --env without a value", ("plan", "--env")),
        Case("flag: --env missing", ("plan",)),
        Case("flag: --set without '='", ("plan", *env, "--set", "azure.location")),
        Case("flag: --set without a section", ("plan", *env, "--set", "location=x")),
        Case("flag: --set of an unknown key", ("plan", *env, "--set", "azure.bogus=1")),
        Case("flag: --set of an unknown section", ("plan", *env, "--set", "bogus.key=1")),
        Case("flag: --set empty value", ("plan", *env, "--set", "azure.location=")),
        Case("flag: --set wait as text", ("deploy", *env, "--set", "lock.wait_seconds=abc")),
        Case("flag: --set a huge number", ("deploy", *env, "--set", "lock.wait_seconds=1e999")),
        Case("flag: --set negative retention", ("plan", *env, "--set", "table.retention_in_days=-5")),
        Case("flag: --set the token", ("check-token", *env, "--set", "miro.token=abc")),
        Case("flag: --set a 100 KB value", ("plan", *env, "--set", "azure.location=" + "x" * 100_000)),
        Case("flag: --set with a newline", ("plan", *env, "--set", "azure.location=west\neurope")),
        Case("flag: --envs-dir that is missing", ("--envs-dir", "/nonexistent", "plan", *env)),
        Case("flag: --envs-dir that is a file", ("--envs-dir", "/etc/hostname", "plan", *env)),
        Case("flag: --output json with bad settings", ("plan", "--env", "nonexistent", "--output", "json")),
        Case("flag: an extra argument", ("check-token", *env, "extra")),
        Case("flag: serve with a negative time scale", ("emulator", "serve", "--time-scale", "-1")),
        Case("flag: serve with a time scale as text", ("emulator", "serve", "--time-scale", "fast")),
        Case("flag: serve on a public address", ("emulator", "serve", "--host", "8.8.8.8")),
        Case("flag: serve on port 99999", ("emulator", "serve", "--port", "99999")),
        Case("flag: serve with an unknown quirk", ("emulator", "serve", "--quirk", "bogus=x")),
        Case("flag: serve with an unknown variant", ("emulator", "serve", "--quirk", "table_column_type_casing=x")),
        Case("flag: dcr test with an unknown option", ("dcr", "test", "--event", "x.json")),
        Case("flag: config with no subcommand argument", ("config", "check")),
        Case("flag: init into a file", ("init", "afile"), files={"afile": b""}),
        Case("flag: init over its own files", ("init", "."), files={"envs/example.toml": b"x = 1\n"}),
        Case("flag: init where nothing can be written", ("init", "/proc/nope")),
    ]


def _variable_cases() -> list[Case]:
    env = ("plan", "--env", "base")

    def var(name: str, key: str, value: str, command: tuple[str, ...] = env) -> Case:
        return Case(f"variable: {name}", command, env={key: value})

    return [
        var("wait as text", "MIRO_SENTINEL_LOCK_WAIT_SECONDS", "abc", ("deploy", "--env", "base")),
        var("negative wait", "MIRO_SENTINEL_LOCK_WAIT_SECONDS", "-1", ("destroy", "--yes", "--env", "base")),
        var("empty location", "MIRO_SENTINEL_AZURE_LOCATION", ""),
        var("unknown engine", "MIRO_SENTINEL_ENGINE", "bogus"),
        var("unknown cloud", "MIRO_SENTINEL_CLOUD", "mars"),
        var("retention of 1e400", "MIRO_SENTINEL_TABLE_RETENTION_IN_DAYS", "1e400"),
        var("a zero time scale", "MIRO_SENTINEL_LOCAL_TIME_SCALE", "0"),
        var("an http Miro URL", "MIRO_SENTINEL_MIRO_API_BASE_URL", "http://evil.example"),
        var("a 100 KB location", "MIRO_SENTINEL_AZURE_LOCATION", "x" * 100_000),
        var("a location with a newline", "MIRO_SENTINEL_AZURE_LOCATION", "west\neurope"),
        var("attempts as text", "MIRO_SENTINEL_AZURE_MAX_ATTEMPTS", "many", ("health", "--env", "base")),
        var("a subscription that is not a GUID", "MIRO_SENTINEL_AZURE_SUBSCRIPTION_ID", "sub"),
        var(
            "an unknown token source", "MIRO_SENTINEL_MIRO_TOKEN_SOURCE", "clipboard", ("check-token", "--env", "base")
        ),
        var("an env name that is a path", "MIRO_SENTINEL_ENV", "../../etc/passwd", ("plan",)),
        var("a lease of 0", "MIRO_SENTINEL_LOCK_LEASE_SECONDS", "0", ("deploy", "--env", "base")),
        var("a tenant with a quote", "MIRO_SENTINEL_AZURE_TENANT_ID", "x'; --"),
        var("a bool as text", "MIRO_SENTINEL_WORKSPACE_CREATE", "maybe"),
        var("negative retry budget", "MIRO_SENTINEL_MIRO_RETRY_BUDGET_SECONDS", "-3", ("check-token", "--env", "base")),
    ]


def _token_cases() -> list[Case]:
    command = ("check-token", "--env", "base")
    refused = [
        ("a line feed", "canary-mid\n-1234"),
        ("a carriage return", "canary-mid\r-1234"),
        ("a tab", "canary\t1234"),
        ("a space inside", "canary 1234"),
        ("the euro sign", "canary€1234"),
        ("an emoji", "canary🙂1234"),
        ("a control character", "canary\x01x"),
        ("DEL", "canary\x7fx"),
        ("4097 characters", "t" * 4097),
        ("100,000 characters", "t" * 100_000),
        ("only spaces", "   "),
        ("an escape sequence", "\x1b[31mred\x1b[0m"),
    ]
    cases = [Case(f"token: {name}", command, token=value, says="") for name, value in refused]
    cases += [
        Case("token: invalid UTF-8", command, token=b"canary-\xff\xfe-1234"),
        Case(
            "token: CRLF at the end (trimmed, as pasted)", command, allowed=frozenset({2, 3}), token="canary-1234\r\n"
        ),
        Case("token: empty", command, token=""),
        Case("token: with 'Bearer '", command, allowed=frozenset({2, 3}), token="Bearer abc123"),
        Case("token: quotes and backslashes", command, allowed=frozenset({2, 3}), token="a\"b\\c'd"),
        Case("token: URL characters", command, allowed=frozenset({2, 3}), token="a%0d%0aSet-Cookie:x"),
        Case(
            "token: from stdin, binary",
            ("check-token", "--env", "base", "--set", "miro.token_source=stdin"),
            stdin=b"\x00\xff\xfe binary",
        ),
        Case(
            "token: from stdin, empty",
            ("check-token", "--env", "base", "--set", "miro.token_source=stdin"),
            stdin=b"",
        ),
        Case(
            "token: from stdin, a megabyte",
            ("check-token", "--env", "base", "--set", "miro.token_source=stdin"),
            stdin=b"t" * 1_000_000,
        ),
    ]
    return cases


def _event(i: int) -> dict[str, object]:
    return {"id": f"e{i}", "event": "board_opened", "createdAt": "2024-05-01T00:00:00.000+0000"}


def _dcr_cases() -> list[Case]:
    def events(name: str, content: bytes, *, allowed: frozenset[int] = frozenset({1, 2}), **kw: object) -> Case:
        return Case(
            f"dcr test events: {name}",
            ("dcr", "test", "--events", "events.json"),
            allowed,
            files={"events.json": content},
            **kw,  # type: ignore[arg-type]
        )

    def transform(name: str, content: bytes, *, allowed: frozenset[int] = frozenset({1, 2}), **kw: object) -> Case:
        return Case(
            f"dcr test transform: {name}",
            ("dcr", "test", "--transform", "t.kql"),
            allowed,
            files={"t.kql": content},
            **kw,  # type: ignore[arg-type]
        )

    deep_json = ("[" * 100_000 + "]" * 100_000).encode()
    return [
        Case("dcr test events: a missing file", ("dcr", "test", "--events", "missing.json")),
        Case(
            "dcr test events: a directory of nothing",
            ("dcr", "test", "--events", "empty-dir"),
            files={"empty-dir/.keep": b""},
            allowed=frozenset({2}),
        ),
        Case("dcr test events: /dev/zero", ("dcr", "test", "--events", "/dev/zero"), heavy=True),
        Case("dcr test events: /dev/null", ("dcr", "test", "--events", "/dev/null")),
        events("binary", bytes(range(256)) * 4),
        events("invalid UTF-8", b'[{"id": "\xff\xfe"}]'),
        events("empty", b""),
        events("an empty array", b"[]", allowed=frozenset({0, 1, 2})),
        # One object is read as a one-line NDJSON file: an event with no fields, which the transform may accept.
        events("an object without data", b"{}", allowed=frozenset({0, 1, 2})),
        events("null", b"null"),
        events("a number", b"1"),
        events("an array of numbers", b"[1, 2, 3]"),
        events("an array of arrays", b"[[1], [2]]"),
        events("100,000 nested arrays", deep_json, heavy=True),
        events(
            "nesting inside an event",
            ('[{"id": "deep", "details": ' + "[" * 100_000 + "]" * 100_000 + "}]").encode(),
            heavy=True,
        ),
        events("a truncated array", json.dumps([_event(1), _event(2)]).encode()[:-20]),
        events("NaN", b'[{"id": "n", "value": NaN}]', allowed=frozenset({0, 1, 2})),
        events("a number beyond float", b'[{"id": "n", "value": 1e400}]', allowed=frozenset({0, 1, 2})),
        events("duplicate keys", b'[{"id": "a", "id": "b"}]', allowed=frozenset({0, 1, 2})),
        events("a lone surrogate", b'[{"id": "\\ud800"}]', allowed=frozenset({0, 1, 2})),
        events("a byte order mark", b"\xef\xbb\xbf" + json.dumps([_event(1)]).encode(), allowed=frozenset({0, 1, 2})),
        events(
            "10,000 fields in one event",
            json.dumps([{**_event(1), **{f"f{i}": i for i in range(10_000)}}]).encode(),
            allowed=frozenset({0, 1, 2}),
        ),
        events(
            "a 20 MB string",
            json.dumps([{**_event(1), "details": "x" * 20_000_000}]).encode(),
            heavy=True,
            allowed=frozenset({1, 2}),
        ),
        # The transform converts what it can and leaves the rest empty, as Azure's would: a clean 0 is fine too.
        events(
            "wrong types everywhere",
            json.dumps([{"id": 1, "event": [], "createdAt": {}}]).encode(),
            allowed=frozenset({0, 1, 2}),
        ),
        events(
            "a createdAt from year 10000",
            json.dumps([{**_event(1), "createdAt": "10000-01-01T00:00:00Z"}]).encode(),
            allowed=frozenset({0, 1}),
        ),
        Case("dcr test transform: a missing file", ("dcr", "test", "--transform", "missing.kql")),
        Case("dcr test transform: a directory", ("dcr", "test", "--transform", "tdir"), files={"tdir/x": b""}),
        transform("binary", bytes(range(256))),
        transform("invalid UTF-8", b"source | extend x = '\xff'"),
        transform("empty", b""),
        transform("only a comment", b"// nothing\n"),
        transform("200 nested parentheses", ("source | extend x = " + "(" * 200 + "1" + ")" * 200).encode()),
        transform(
            "100,000 nested parentheses",
            ("source | extend x = " + "(" * 100_000 + "1" + ")" * 100_000).encode(),
            heavy=True,
        ),
        transform("a megabyte transform", ("source\n" + "| extend x = 1\n" * 70_000).encode(), heavy=True),
        transform("3,000 chained additions", ("source | extend x = " + "+".join(["1"] * 3000)).encode()),
        transform("a syntax error", b"source | extend x = "),
        transform("summarize", b"source | summarize count()"),
        transform("join", b"source | join (source) on id"),
        transform("datatable in a let", b'let t = datatable(a:string)["x"]; source | project TimeGenerated = now()'),
        transform("an unknown function", b"source | extend x = evil()"),
        transform("a table other than source", b"SecurityEvent | take 1"),
        transform("externaldata", b'externaldata(x:string) ["https://example.com/x"]'),
        transform("a 2000-character string literal", ('source | extend x = "' + "y" * 2000 + '"').encode()),
        transform("SQL in a string", b'source | extend x = "\'; DROP TABLE x; --"'),
        transform("a NUL byte", b"source | extend x = 1\x00"),
        Case(
            "dcr test table: binary", ("dcr", "test", "--table", "table.json"), files={"table.json": bytes(range(256))}
        ),
        Case(
            "dcr test table: deeply nested",
            ("dcr", "test", "--table", "table.json"),
            files={"table.json": deep_json},
            heavy=True,
        ),
        Case(
            "dcr test table: no columns",
            ("dcr", "test", "--table", "table.json"),
            files={"table.json": b'{"name": "X_CL", "columns": []}'},
            allowed=frozenset({1, 2}),
        ),
    ]


CASES: tuple[Case, ...] = tuple(
    _settings_cases() + _environment_name_cases() + _flag_cases() + _variable_cases() + _token_cases() + _dcr_cases()
)
