"""Data collection rules (``Microsoft.Insights/dataCollectionRules``) and what they compile to.

A PUT is refused with Azure's ``InvalidPayload`` (400) and one ``details[]`` entry per problem:

* ``InvalidStreamDeclaration``: a declared stream not named ``Custom-...``, or a column without a
  name or with a type outside ``string, int, long, real, boolean, datetime, dynamic``;
* ``InvalidDataCollectionEndpoint``: ``dataCollectionEndpointId`` names no DCE, or one in another region;
* ``InvalidDestination``: a Log Analytics destination whose workspace does not exist or is in another
  region, a duplicate destination name, or a data flow naming an undeclared destination;
* ``InvalidStream``: a data flow stream that is not declared;
* ``InvalidOutputTable``: the output stream's table does not exist in a destination workspace;
* ``InvalidTransformQuery`` / ``InvalidTransformOutput``: see :mod:`.transforms`.

What the local cloud does not emulate (``Microsoft-*`` input streams, non-Log-Analytics destinations,
enrichment ``references``, ``builtInTransform``) answers 501 instead of being accepted silently.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.models.resources import (
    Resource,
    ResourceRegistry,
    group_of,
    id_name,
    normalize_location,
    tracked_resource,
)
from emulator.arm.models.transforms import CompiledTransform, TransformProblem, compile_transform
from emulator.core.auth import Principal
from emulator.core.errors import azure_error
from kqlengine import KqlColumn

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["DCR_TYPE", "CompiledFlow", "CompiledRule", "DataCollectionRules"]

DCR_TYPE = "Microsoft.Insights/dataCollectionRules"
STREAM_TYPES = ("string", "int", "long", "real", "boolean", "datetime", "dynamic")


@dataclass(frozen=True)
class CompiledFlow:
    """One data flow for one input stream: its transform and where its rows go."""

    stream: str
    table: str
    workspaces: tuple[str, ...]
    transform: CompiledTransform


@dataclass(frozen=True)
class CompiledRule:
    """A DCR ready for ingestion: declared streams and, per stream, the flows it feeds."""

    resource_id: str
    immutable_id: str
    etag: str
    streams: dict[str, tuple[KqlColumn, ...]]
    flows: tuple[CompiledFlow, ...]

    def flows_for(self, stream: str) -> list[CompiledFlow]:
        return [f for f in self.flows if f.stream == stream]


class DataCollectionRules:
    def __init__(self, cloud: Cloud, registry: ResourceRegistry) -> None:
        self._cloud = cloud
        self._registry = registry
        self._compiled: dict[str, CompiledRule] = {}
        self._lock = threading.Lock()

    # --- operations ---------------------------------------------------------------------------------

    def create_or_update(self, caller: Principal, resource_id: str, body: Any) -> tuple[Resource, bool]:
        """Validate and store a DCR; returns it and whether it is new."""
        self._cloud.arm.roles.authorize(caller, f"{DCR_TYPE}/write", resource_id)
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise errors.invalid_request_content("'properties' is required and must be an object")
        _refuse_unsupported(props)
        previous = self._registry.get(resource_id)
        stored = copy.deepcopy({k: v for k, v in props.items() if k not in _READ_ONLY})
        immutable_id = previous.properties["immutableId"] if previous else f"dcr-{self._cloud.ids.hex32()}"
        stored["immutableId"] = immutable_id
        for destination in (stored.get("destinations") or {}).get("logAnalytics") or []:
            workspace = self._cloud.arm.workspaces.by_id(str(destination.get("workspaceResourceId", "")))
            if workspace is not None:
                destination["workspaceId"] = workspace.properties["customerId"]
        who = caller.app_id or caller.object_id
        resource = tracked_resource(
            resource_id, DCR_TYPE, body, stored, previous=previous, who=who, now=self._cloud.clock.now()
        )
        compiled = self.compile(resource)  # raises InvalidPayload
        self._registry.put(resource)
        with self._lock:
            self._compiled[immutable_id] = compiled
        return resource, previous is None

    def get(self, caller: Principal, resource_id: str) -> Resource:
        self._cloud.arm.roles.authorize(caller, f"{DCR_TYPE}/read", resource_id)
        found = self.by_id(resource_id)
        if found is None:
            raise errors.resource_not_found(DCR_TYPE, id_name(resource_id), group_of(resource_id))
        return found

    def delete(self, caller: Principal, resource_id: str) -> bool:
        self._cloud.arm.roles.authorize(caller, f"{DCR_TYPE}/delete", resource_id)
        found = self.by_id(resource_id)
        if found is None:
            return False
        self._registry.delete(resource_id)
        with self._lock:
            self._compiled.pop(found.properties["immutableId"], None)
        return True

    def list(self, caller: Principal, scope: str) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{DCR_TYPE}/read", scope)
        return self._registry.of_type(DCR_TYPE, under=scope)

    def by_id(self, resource_id: str) -> Resource | None:
        found = self._registry.get(resource_id)
        return found if found is not None and found.type == DCR_TYPE else None

    def by_immutable_id(self, immutable_id: str) -> Resource | None:
        wanted = immutable_id.lower()
        return next(
            (r for r in self._registry.of_type(DCR_TYPE) if r.properties["immutableId"].lower() == wanted), None
        )

    def render(self, resource: Resource) -> dict[str, Any]:
        """The DCR as ARM answers it (a ``Direct`` rule also shows its own ingestion endpoints)."""
        body = resource.to_dict()
        props = body["properties"]
        if str(body.get("kind", "")).lower() == "direct":
            props["endpoints"] = {"logsIngestion": self._cloud.base_url, "metricsIngestion": self._cloud.base_url}
        props["provisioningState"] = "Succeeded"
        return body

    def clear_cache(self) -> None:
        with self._lock:
            self._compiled.clear()

    # --- compilation ---------------------------------------------------------------------------------

    def compiled(self, immutable_id: str) -> CompiledRule | None:
        """The rule compiled for ingestion (compiled again when its cache entry is stale or missing).

        :raises EmulatorError: the stored rule no longer compiles (e.g. its table was deleted).
        """
        resource = self.by_immutable_id(immutable_id)
        if resource is None:
            return None
        with self._lock:
            cached = self._compiled.get(resource.properties["immutableId"])
        if cached is not None and cached.etag == resource.body.get("etag"):
            return cached
        compiled = self.compile(resource)
        with self._lock:
            self._compiled[resource.properties["immutableId"]] = compiled
        return compiled

    def compile(self, resource: Resource) -> CompiledRule:
        """Check a rule as Azure does and compile its transforms; raises ``InvalidPayload`` with details."""
        props = resource.properties
        location = normalize_location(resource.body["location"])
        details: list[dict[str, str]] = []

        def problem(code: str, message: str, target: str) -> None:
            details.append({"code": code, "message": message, "target": target})

        endpoint_id = props.get("dataCollectionEndpointId")
        if endpoint_id:
            endpoint = self._cloud.arm.endpoints.by_id(str(endpoint_id))
            if endpoint is None:
                problem(
                    "InvalidDataCollectionEndpoint",
                    f"Data collection endpoint '{endpoint_id}' does not exist.",
                    "properties.dataCollectionEndpointId",
                )
            elif endpoint.body["location"] != location:
                problem(
                    "InvalidDataCollectionEndpoint",
                    f"Data collection endpoint '{endpoint_id}' is in region '{endpoint.body['location']}'; the data "
                    f"collection rule is in '{location}'. They must be in the same region.",
                    "properties.dataCollectionEndpointId",
                )

        streams: dict[str, tuple[KqlColumn, ...]] = {}
        for name, declaration in (props.get("streamDeclarations") or {}).items():
            target = f"properties.streamDeclarations.{name}"
            if not str(name).startswith("Custom-"):
                problem("InvalidStreamDeclaration", f"Stream declaration '{name}' must start with 'Custom-'.", target)
                continue
            columns = declaration.get("columns") if isinstance(declaration, dict) else None
            if not isinstance(columns, list) or not columns:
                problem("InvalidStreamDeclaration", f"Stream declaration '{name}' must declare its columns.", target)
                continue
            declared = []
            for column in columns:
                kind = str(column.get("type", "")).lower() if isinstance(column, dict) else ""
                if not isinstance(column, dict) or not column.get("name") or kind not in STREAM_TYPES:
                    problem(
                        "InvalidStreamDeclaration",
                        f"Stream declaration '{name}': column {column!r} needs a name and a type among "
                        f"{', '.join(STREAM_TYPES)}.",
                        target,
                    )
                    break
                declared.append(KqlColumn(str(column["name"]), kind))
            else:
                streams[str(name)] = tuple(declared)

        destinations: dict[str, str] = {}
        declared_destinations: set[str] = set()
        for index, destination in enumerate((props.get("destinations") or {}).get("logAnalytics") or []):
            target = f"properties.destinations.logAnalytics[{index}]"
            name = str(destination.get("name", ""))
            duplicate = name in declared_destinations
            declared_destinations.add(name)
            workspace = self._cloud.arm.workspaces.by_id(str(destination.get("workspaceResourceId", "")))
            if not name:
                problem("InvalidDestination", "A Log Analytics destination needs a name.", target)
            elif duplicate:
                problem("InvalidDestination", f"Destination name '{name}' is used more than once.", target)
            elif workspace is None:
                problem(
                    "InvalidDestination",
                    f"Log Analytics workspace '{destination.get('workspaceResourceId')}' of destination '{name}' "
                    "does not exist.",
                    target,
                )
            elif normalize_location(workspace.body["location"]) != location:
                problem(
                    "InvalidDestination",
                    f"Log Analytics workspace of destination '{name}' is in region '{workspace.body['location']}'; the "
                    f"data collection rule is in '{location}'. They must be in the same region.",
                    target,
                )
            else:
                destinations[name] = workspace.properties["customerId"]

        flows: list[CompiledFlow] = []
        now = self._cloud.clock.now()
        for index, flow in enumerate(props.get("dataFlows") or []):
            target = f"properties.dataFlows[{index}]"
            flow_streams = [str(s) for s in flow.get("streams") or []]
            flow_destinations = [str(d) for d in flow.get("destinations") or []]
            if not flow_streams:
                problem("InvalidStream", "A data flow needs at least one stream.", target)
            for stream in flow_streams:
                if stream not in streams:
                    problem(
                        "InvalidStream", f"'Streams' stream '{stream}' is not declared in streamDeclarations.", target
                    )
            if not flow_destinations:
                problem("InvalidDestination", "A data flow needs at least one destination.", target)
            for destination_name in flow_destinations:
                if destination_name not in declared_destinations:
                    problem(
                        "InvalidDestination",
                        f"Destination '{destination_name}' is not defined in destinations.",
                        target,
                    )
            output_stream = str(flow.get("outputStream") or (flow_streams[0] if len(flow_streams) == 1 else ""))
            table_name = output_stream.removeprefix("Custom-") if output_stream.startswith("Custom-") else None
            resolved = []
            for destination_name in flow_destinations:
                workspace_id = destinations.get(destination_name)
                if workspace_id is None:
                    continue
                table = self._cloud.logs.table(workspace_id, table_name) if table_name else None
                if table is None or table.builtin:
                    problem(
                        "InvalidOutputTable",
                        f"Table for output stream '{output_stream}' is not available for destination '{destination_name}'.",
                        target,
                    )
                else:
                    resolved.append((workspace_id, table))
            if not resolved or len(resolved) != len(flow_destinations):
                continue
            transform = str(flow.get("transformKql") or "source")
            for stream in flow_streams:
                if stream not in streams:
                    continue
                result = compile_transform(
                    transform,
                    streams[stream],
                    resolved[0][1],
                    now=now,
                    datatable=self._cloud.quirks.chosen("transform_datatable", "accepted"),
                )
                if isinstance(result, TransformProblem):
                    problem(result.code, result.message, target)
                    break
                flows.append(CompiledFlow(stream, resolved[0][1].name, tuple(w for w, _ in resolved), result))
        if details:
            raise errors.invalid_payload(details)
        return CompiledRule(resource.id, props["immutableId"], str(resource.body.get("etag")), streams, tuple(flows))


_READ_ONLY = {"immutableId", "endpoints", "provisioningState", "metadata"}


def _refuse_unsupported(props: dict[str, Any]) -> None:
    """501 for parts of a DCR the local cloud does not emulate, rather than accepting them silently."""
    gaps = []
    references = props.get("references") or {}
    if references:
        gaps.append("'references' (enrichment data)")
    other_destinations = [k for k, v in (props.get("destinations") or {}).items() if k != "logAnalytics" and v]
    if other_destinations:
        gaps.append(f"destinations of kind {', '.join(sorted(other_destinations))}")
    for flow in props.get("dataFlows") or []:
        if any(str(s).startswith("Microsoft-") for s in flow.get("streams") or []):
            gaps.append("Microsoft-* input streams (agent data sources)")
        if flow.get("builtInTransform"):
            gaps.append("builtInTransform")
    if gaps:
        raise azure_error(
            501,
            "NotImplemented",
            f"The local cloud does not emulate {'; '.join(dict.fromkeys(gaps))} in data collection rules. "
            "See emulator/COVERAGE.md",
        )
