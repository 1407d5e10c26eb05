"""A RestApiPoller connector's settings, read and checked the way Sentinel reads them.

Field names are matched case-insensitively (Azure's own examples mix ``ApiKey``, ``APIKey`` and
``apiKey``; the official Miro connector writes ``APIKey``, ``ApiKeyName``, ``StartTimeAttributeName``);
a name given twice in different cases is refused as ambiguous.

:func:`read_poller_config` returns a :class:`PollerConfig` or raises :class:`ConfigRefused` with every
problem found: ``invalid`` ones (what Azure refuses: missing required fields, values out of range,
a format that does not parse) and ``unsupported`` ones (valid in Azure but not emulated: other paging
types, auth types, CSV responses...), which the ARM layer answers with 400 and 501 respectively.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from emulator.ccf.jsonpath import JsonPath
from emulator.ccf.timeformat import TimeRenderer, compile_format

__all__ = [
    "SECRET_FIELDS",
    "ConfigRefused",
    "DcrTarget",
    "Paging",
    "PollerConfig",
    "Problem",
    "lookup",
    "read_poller_config",
]

#: ``auth`` fields that hold secrets (lower case): never returned by GET, never logged.
SECRET_FIELDS = frozenset({"apikey", "password", "clientsecret"})


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    unsupported: bool = False


class ConfigRefused(Exception):
    """The connector settings have problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems

    @property
    def unsupported_only(self) -> bool:
        return all(p.unsupported for p in self.problems)


@dataclass(frozen=True)
class DcrTarget:
    endpoint: str
    rule_immutable_id: str
    stream: str


@dataclass(frozen=True)
class Paging:
    """``NextPageToken`` paging: where the token is in a response and how it goes back in a request."""

    token_path: JsonPath | None
    token_header: str | None
    parameter: str | None
    request_header: str | None
    has_next_path: JsonPath | None
    page_size: int | None
    page_size_parameter: str | None


@dataclass(frozen=True)
class PollerConfig:
    """Everything the poller needs from a RestApiPoller connector, already checked."""

    api_endpoint: str
    window_minutes: int
    render_time: TimeRenderer
    start_parameter: str | None
    end_parameter: str | None
    query_parameters: dict[str, str]
    headers: dict[str, str]
    auth_headers: dict[str, str] = field(repr=False)
    rate_limit_qps: float | None
    retry_count: int
    timeout_seconds: float
    paging: Paging | None
    events_paths: tuple[JsonPath, ...]
    success_status_path: JsonPath | None
    success_status_value: str | None
    dcr: DcrTarget
    add_on_attributes: dict[str, str]
    definition_name: str
    data_type: str
    is_active: bool


#: What :func:`lookup` returns for a name given twice (the problem is already reported).
AMBIGUOUS = object()


def lookup(mapping: Mapping[str, Any], name: str, path: str, problems: list[Problem]) -> Any:
    """``mapping[name]`` with the name matched case-insensitively (``None`` when absent)."""
    found = [key for key in mapping if isinstance(key, str) and key.lower() == name.lower()]
    if len(found) > 1:
        problems.append(Problem(f"{path}.{name}", f"given more than once in different cases: {', '.join(found)}"))
        return AMBIGUOUS
    return mapping[found[0]] if found else None


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def _value(self, parent: Mapping[str, Any], name: str, path: str, *, required: bool = False) -> Any:
        """The value at ``name``, or ``None`` when absent or empty (a problem if required) or given twice."""
        value = lookup(parent, name, path, self.problems)
        if value is AMBIGUOUS:
            return None
        if value is None or value == "":
            if required:
                self.problems.append(Problem(f"{path}.{name}", "is required"))
            return None
        return value

    def _wrong(self, path: str, name: str, message: str) -> None:
        self.problems.append(Problem(f"{path}.{name}", message))

    def section(self, parent: Mapping[str, Any], name: str, path: str, *, required: bool) -> Mapping[str, Any] | None:
        """The object at ``name``; ``None`` (the problem reported) when it is absent or not an object."""
        value = self._value(parent, name, path, required=required)
        if value is not None and not isinstance(value, dict):
            self._wrong(path, name, "must be an object")
            return None
        return value

    def string(self, parent: Mapping[str, Any], name: str, path: str, *, required: bool = False) -> str | None:
        value = self._value(parent, name, path, required=required)
        if value is not None and not isinstance(value, str):
            self._wrong(path, name, "must be a string")
            return None
        return value

    def integer(
        self, parent: Mapping[str, Any], name: str, path: str, *, default: int | None, low: int, high: int | None
    ) -> int | None:
        value = self._value(parent, name, path)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(path, name, "must be a whole number")
            return default
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            self._wrong(path, name, f"must be {bounds}, not {value}")
            return default
        return int(value)

    def boolean(self, parent: Mapping[str, Any], name: str, path: str, *, default: bool) -> bool:
        value = self._value(parent, name, path)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value is not None and not isinstance(value, bool):
            self._wrong(path, name, "must be true or false")
        return value if isinstance(value, bool) else default

    def string_map(self, parent: Mapping[str, Any], name: str, path: str) -> dict[str, str]:
        value = self._value(parent, name, path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._wrong(path, name, "must be an object of names to values")
            return {}
        out = {}
        for key, item in value.items():
            if isinstance(item, dict | list) or item is None:
                self._wrong(f"{path}.{name}", str(key), "must be a string or a number")
                continue
            out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
        return out

    def json_path(self, parent: Mapping[str, Any], name: str, path: str) -> JsonPath | None:
        text = self.string(parent, name, path)
        if text is None:
            return None
        try:
            return JsonPath(text)
        except ValueError as exc:
            self.problems.append(Problem(f"{path}.{name}", str(exc)))
            return None

    def unsupported(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, unsupported=True))


def read_poller_config(properties: Mapping[str, Any]) -> PollerConfig:
    """Read and check a RestApiPoller connector's ``properties``; raises :class:`ConfigRefused`."""
    r = _Reader()
    p = "properties"
    definition = r.string(properties, "connectorDefinitionName", p, required=True)
    request = r.section(properties, "request", p, required=True) or {}
    auth = r.section(properties, "auth", p, required=True)
    dcr = r.section(properties, "dcrConfig", p, required=True)
    response = r.section(properties, "response", p, required=True)
    paging_raw = r.section(properties, "paging", p, required=False)

    endpoint = _request(r, request) if request else None
    q = f"{p}.request"
    window = r.integer(request, "queryWindowInMin", q, default=5, low=1, high=None) or 5
    retry = r.integer(request, "retryCount", q, default=3, low=1, high=6) or 3
    timeout = r.integer(request, "timeoutInSeconds", q, default=20, low=1, high=180) or 20
    qps = r.integer(request, "rateLimitQPS", q, default=None, low=1, high=None)
    time_format = r.string(request, "queryTimeFormat", q)
    try:
        render = compile_format(time_format)
    except ValueError as exc:
        r.problems.append(Problem(f"{q}.queryTimeFormat", str(exc)))
        render = compile_format(None)
    start = r.string(request, "startTimeAttributeName", q)
    end = r.string(request, "endTimeAttributeName", q)
    if (start is None) != (end is None):
        r.problems.append(
            Problem(f"{q}.startTimeAttributeName", "startTimeAttributeName and endTimeAttributeName go together")
        )
    query = r.string_map(request, "queryParameters", q)
    headers = r.string_map(request, "headers", q)

    events_paths, status_path, status_value = _response(r, response) if response is not None else ((), None, None)
    paging = _paging(r, paging_raw) if paging_raw is not None else None
    auth_headers = _auth(r, auth) if auth is not None else {}
    target = DcrTarget("", "", "")
    if dcr is not None:
        target = DcrTarget(
            endpoint=r.string(dcr, "dataCollectionEndpoint", f"{p}.dcrConfig", required=True) or "",
            rule_immutable_id=r.string(dcr, "dataCollectionRuleImmutableId", f"{p}.dcrConfig", required=True) or "",
            stream=r.string(dcr, "streamName", f"{p}.dcrConfig", required=True) or "",
        )
    if target.stream and not target.stream.startswith("Custom-"):
        r.problems.append(Problem(f"{p}.dcrConfig.streamName", "must be a custom stream, starting with 'Custom-'"))
    add_on = r.string_map(properties, "addOnAttributes", p)
    data_type = r.string(properties, "dataType", p) or ""
    # Absent means inactive: the portal's connect toggle is what sets it (conservative; see COVERAGE.md).
    active = r.boolean(properties, "isActive", p, default=False)
    if r.problems:
        raise ConfigRefused(r.problems)
    return PollerConfig(
        api_endpoint=endpoint or "",
        window_minutes=window,
        render_time=render,
        start_parameter=start,
        end_parameter=end,
        query_parameters=query,
        headers=headers,
        auth_headers=auth_headers,
        rate_limit_qps=float(qps) if qps else None,
        retry_count=retry,
        timeout_seconds=float(timeout),
        paging=paging,
        events_paths=events_paths,
        success_status_path=status_path,
        success_status_value=status_value,
        dcr=target,
        add_on_attributes=add_on,
        definition_name=definition or "",
        data_type=data_type,
        is_active=active,
    )


def _request(r: _Reader, request: Mapping[str, Any]) -> str | None:
    q = "properties.request"
    endpoint = r.string(request, "apiEndpoint", q, required=True)
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            r.problems.append(Problem(f"{q}.apiEndpoint", "must be an absolute http(s) URL"))
    method = r.string(request, "httpMethod", q) or "GET"
    if method.upper() not in ("GET", "POST", "PUT", "DELETE"):
        r.problems.append(Problem(f"{q}.httpMethod", "must be GET, POST, PUT or DELETE"))
    elif method.upper() != "GET":
        r.unsupported(f"{q}.httpMethod", f"{method.upper()} requests are not emulated (only GET)")
    for name in ("queryParametersTemplate", "queryTimeIntervalAttributeName"):
        if lookup(request, name, q, r.problems) not in (None, AMBIGUOUS):
            r.unsupported(f"{q}.{name}", "is not emulated")
    return endpoint


def _response(r: _Reader, response: Mapping[str, Any]) -> tuple[tuple[JsonPath, ...], JsonPath | None, str | None]:
    q = "properties.response"
    raw = lookup(response, "eventsJsonPaths", q, r.problems)
    paths: list[JsonPath] = []
    if raw is AMBIGUOUS:
        pass
    elif not isinstance(raw, list) or not raw:
        r.problems.append(Problem(f"{q}.eventsJsonPaths", "is required: a non-empty list of JSON paths"))
    else:
        for i, text in enumerate(raw):
            try:
                paths.append(JsonPath(text))
            except ValueError as exc:
                r.problems.append(Problem(f"{q}.eventsJsonPaths[{i}]", str(exc)))
    fmt = (r.string(response, "format", q) or "json").lower()
    if fmt not in ("json", "csv", "xml"):
        r.problems.append(Problem(f"{q}.format", "must be json, csv or xml"))
    elif fmt != "json":
        r.unsupported(f"{q}.format", f"{fmt} responses are not emulated (only json)")
    if r.boolean(response, "isGzipCompressed", q, default=False):
        r.unsupported(f"{q}.isGzipCompressed", "gzip-compressed bodies are not emulated")
    status_path = r.json_path(response, "successStatusJsonPath", q)
    status_value = r.string(response, "successStatusValue", q)
    return tuple(paths), status_path, status_value


def _paging(r: _Reader, paging: Mapping[str, Any]) -> Paging | None:
    q = "properties.paging"
    kind = r.string(paging, "pagingType", q, required=True)
    if kind is None:
        return None
    known = (
        "LinkHeader",
        "NextPageToken",
        "NextPageUrl",
        "PersistentToken",
        "PersistentLinkHeader",
        "Offset",
        "CountBasedPaging",
    )
    if kind not in known:
        r.problems.append(Problem(f"{q}.pagingType", f"must be one of {', '.join(known)}"))
        return None
    if kind != "NextPageToken":
        r.unsupported(f"{q}.pagingType", f"{kind} paging is not emulated (only NextPageToken)")
        return None
    token_path = r.json_path(paging, "nextPageTokenJsonPath", q)
    token_header = r.string(paging, "nextPageTokenResponseHeader", q)
    if token_path is None and token_header is None:
        r.problems.append(
            Problem(
                f"{q}.nextPageTokenJsonPath",
                "NextPageToken paging needs nextPageTokenJsonPath or nextPageTokenResponseHeader",
            )
        )
    parameter = r.string(paging, "nextPageParaName", q)
    request_header = r.string(paging, "nextPageRequestHeader", q)
    if parameter is None and request_header is None:
        r.problems.append(
            Problem(f"{q}.nextPageParaName", "NextPageToken paging needs nextPageParaName or nextPageRequestHeader")
        )
    placement = r.string(paging, "pagingInfoPlacement", q)
    if placement is not None and placement != "QueryString":
        r.unsupported(f"{q}.pagingInfoPlacement", f"{placement} is not emulated (only QueryString)")
    return Paging(
        token_path=token_path,
        token_header=token_header,
        parameter=parameter,
        request_header=request_header,
        has_next_path=r.json_path(paging, "hasNextFlagJsonPath", q),
        page_size=r.integer(paging, "pageSize", q, default=None, low=1, high=None),
        page_size_parameter=r.string(paging, "pageSizeParameterName", q),
    )


def _auth(r: _Reader, auth: Mapping[str, Any]) -> dict[str, str]:
    q = "properties.auth"
    kind = r.string(auth, "type", q, required=True)
    if kind is None:
        return {}
    known = ("Basic", "APIKey", "OAuth2", "AWS", "GCP", "Session", "JwtToken", "GitHub", "ServiceBus", "Oracle", "None")
    if kind not in known:
        r.problems.append(Problem(f"{q}.type", f"must be one of {', '.join(known)}"))
        return {}
    if kind == "None":
        return {}
    if kind == "Basic":
        user = r.string(auth, "userName", q, required=True)
        password = r.string(auth, "password", q, required=True)
        if user is None or password is None:
            return {}
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")}
    if kind != "APIKey":
        r.unsupported(f"{q}.type", f"{kind} authentication is not emulated (only APIKey, Basic and None)")
        return {}
    key = r.string(auth, "apiKey", q, required=True)
    name = r.string(auth, "apiKeyName", q, required=True)
    identifier = r.string(auth, "apiKeyIdentifier", q)
    if r.boolean(auth, "isApiKeyInPostPayload", q, default=False):
        r.unsupported(f"{q}.isApiKeyInPostPayload", "sending the key in a POST body is not emulated")
    if key is None or name is None:
        return {}
    # Learn says the identifier defaults to "token"; the official Miro connector puts "Bearer " in the key
    # and gives no identifier, which only works if an absent identifier adds nothing (see COVERAGE.md).
    return {name: f"{identifier} {key}" if identifier else key}
