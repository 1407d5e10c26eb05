"""Microsoft Sentinel's ARM resources under a workspace: onboarding, connector definitions, connectors.

* ``onboardingStates/default``: the workspace is onboarded to Sentinel (the seeded one is).
* ``dataConnectorDefinitions`` of kind ``Customizable`` (checked by :mod:`.validation`).
* ``dataConnectors`` of kind ``RestApiPoller`` (checked by :func:`emulator.ccf.config.read_poller_config`,
  then against the cloud: the definition exists, ``dcrConfig`` names a DCE's logs ingestion endpoint,
  an existing DCR immutable id, and a stream that DCR declares and sends somewhere).

The resources live in the ARM registry, so the control API's reset and state dump see them. The
connector's secrets (``auth.apiKey`` and friends) are kept apart from it, in their own collection,
and never come back out of the ARM API: GET, list and PUT answers carry ``auth`` without them.
A PUT must carry the key every time, on update as on create (the spec marks ``apiKey`` required), and
an update must carry the current ``etag`` (Learn: "the update requires the etag value") unless the quirk
``connector_update_etag`` is ``optional``. With the quirk ``connector_api_key_in_post_payload`` at
``present``, a connector's ``auth`` answers ``isApiKeyInPostPayload: false`` when it was not sent.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.arm.models.endpoints import DCE_TYPE
from emulator.arm.models.resources import Resource, system_data
from emulator.ccf.config import SECRET_FIELDS, ConfigRefused, DcrTarget, read_poller_config
from emulator.core.auth import Principal
from emulator.sentinel import errors
from emulator.sentinel.validation import definition_problems

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = [
    "CONNECTOR_TYPE",
    "DEFINITION_TYPE",
    "ONBOARDING_TYPE",
    "SENTINEL_APP_ID",
    "ConnectorListener",
    "SentinelBackend",
]

PROVIDER = "Microsoft.SecurityInsights"
DEFINITION_TYPE = f"{PROVIDER}/dataConnectorDefinitions"
CONNECTOR_TYPE = f"{PROVIDER}/dataConnectors"
ONBOARDING_TYPE = f"{PROVIDER}/onboardingStates"
_SECRETS = "sentinel.secrets"
_DEFINITION_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
#: Connector kinds Azure knows but the local cloud does not emulate (501 rather than 400).
_OTHER_KINDS = {
    "AzureActiveDirectory",
    "AzureSecurityCenter",
    "MicrosoftCloudAppSecurity",
    "ThreatIntelligence",
    "MicrosoftThreatIntelligence",
    "PremiumMicrosoftDefenderForThreatIntelligence",
    "Office365",
    "AmazonWebServicesCloudTrail",
    "AzureAdvancedThreatProtection",
    "MicrosoftDefenderAdvancedThreatProtection",
}

#: The first-party application Sentinel's connectors ingest as ("Azure Security Insights").
SENTINEL_APP_ID = "98785600-1bb7-4fb9-b9fa-19afe2c8a360"

#: Called with a connector's id after it was created, changed (``deleted=False``) or deleted.
ConnectorListener = Callable[[str, bool], None]


def _extension_id(workspace: Resource, kind: str, name: str) -> str:
    return f"{workspace.id}/providers/{kind}/{name}"


def _normalized_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


class SentinelBackend:
    """State and rules of Sentinel's connector resources in every workspace of the cloud."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._registry = cloud.arm.registry
        self._box = cloud.secret_box
        self.listeners: list[ConnectorListener] = []
        # In Azure a codeless connector sends to its DCR without any role the customer assigns.
        cloud.arm.roles.first_party.add(SENTINEL_APP_ID.lower())
        self.seed()

    def seed(self) -> None:
        """The seeded workspace is onboarded to Sentinel."""
        workspace = self._cloud.arm.workspaces.by_id(self._cloud.identity.workspace_resource_id)
        if workspace is None:
            return
        state_id = _extension_id(workspace, ONBOARDING_TYPE, "default")
        if self._registry.get(state_id) is None:
            state = Resource(state_id, ONBOARDING_TYPE, {"properties": {"customerManagedKey": False}})
            state.new_etag()
            self._registry.put(state)

    def reset(self) -> None:
        """After the ARM registry was cleared: forget the secrets and onboard the seeded workspace again."""
        self._cloud.store.clear_documents(_SECRETS)
        self.seed()

    # --- onboarding -----------------------------------------------------------------------------------

    def put_onboarding(self, caller: Principal, workspace: Resource, name: str, body: Any) -> tuple[Resource, bool]:
        state_id = _extension_id(workspace, ONBOARDING_TYPE, name)
        self._cloud.arm.roles.authorize(caller, f"{ONBOARDING_TYPE}/write", state_id)
        if name != "default":
            raise errors.bad_request("The only onboarding state is 'default'.", target="name")
        props = body.get("properties") if isinstance(body, dict) else None
        previous = self._registry.get(state_id)
        state = Resource(
            state_id,
            ONBOARDING_TYPE,
            {"properties": {"customerManagedKey": bool((props or {}).get("customerManagedKey", False))}},
        )
        state.new_etag()
        self._registry.put(state)
        return state, previous is None

    def get_extension(self, caller: Principal, workspace: Resource, kind: str, name: str) -> Resource:
        resource_id = _extension_id(workspace, kind, name)
        self._cloud.arm.roles.authorize(caller, f"{kind}/read", resource_id)
        found = self._registry.get(resource_id)
        if found is None or found.type != kind:
            raise errors.not_found(_noun(kind), name, workspace.name)
        return found

    def list_extensions(self, caller: Principal, workspace: Resource, kind: str) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{kind}/read", workspace.id)
        return self._registry.of_type(kind, under=workspace.id)

    def is_onboarded(self, workspace: Resource) -> bool:
        return self._registry.get(_extension_id(workspace, ONBOARDING_TYPE, "default")) is not None

    def delete_extension(self, caller: Principal, workspace: Resource, kind: str, name: str) -> bool:
        """Delete a definition, connector or onboarding state; ``False`` when there was none."""
        resource_id = _extension_id(workspace, kind, name)
        self._cloud.arm.roles.authorize(caller, f"{kind}/delete", resource_id)
        found = self._registry.get(resource_id)
        if found is None or found.type != kind:
            return False
        if kind == DEFINITION_TYPE:
            users = [c.name for c in self.connectors(workspace) if _definition_of(c).lower() == name.lower()]
            if users:
                raise errors.definition_in_use(name, users)
        self._registry.delete(resource_id)
        if kind == CONNECTOR_TYPE:
            self._cloud.store.delete_document(_SECRETS, resource_id.lower())
            self._notify(found.id, deleted=True)
        return True

    # --- definitions ------------------------------------------------------------------------------------

    def put_definition(self, caller: Principal, workspace: Resource, name: str, body: Any) -> tuple[Resource, bool]:
        resource_id = _extension_id(workspace, DEFINITION_TYPE, name)
        self._cloud.arm.roles.authorize(caller, f"{DEFINITION_TYPE}/write", resource_id)
        if not self.is_onboarded(workspace):
            raise errors.not_onboarded(workspace.name)
        if not _DEFINITION_NAME.match(name):
            raise errors.bad_request(
                f"The data connector definition name '{name}' is invalid: use letters, digits, '-' and '_'.",
                target="dataConnectorDefinitionName",
            )
        problems = definition_problems(body)
        if problems:
            raise errors.invalid_properties(problems)
        previous = self._existing(resource_id, DEFINITION_TYPE, body, name)
        now = self._cloud.clock.now().isoformat().replace("+00:00", "Z")
        props = copy.deepcopy(body["properties"])
        props["createdTimeUtc"] = previous.properties.get("createdTimeUtc", now) if previous else now
        props["lastModifiedUtc"] = now
        return self._store(resource_id, DEFINITION_TYPE, "Customizable", props, previous, caller), previous is None

    # --- connectors -------------------------------------------------------------------------------------

    def put_connector(self, caller: Principal, workspace: Resource, name: str, body: Any) -> tuple[Resource, bool]:
        resource_id = _extension_id(workspace, CONNECTOR_TYPE, name)
        self._cloud.arm.roles.authorize(caller, f"{CONNECTOR_TYPE}/write", resource_id)
        if not self.is_onboarded(workspace):
            raise errors.not_onboarded(workspace.name)
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        kind = body.get("kind")
        if kind in _OTHER_KINDS:
            raise errors.not_implemented(
                [("kind", f"data connectors of kind {kind} are not emulated (only RestApiPoller)")]
            )
        if kind != "RestApiPoller":
            raise errors.invalid_properties([("kind", f"is required and must be a data connector kind, not {kind!r}")])
        if body.get("name") not in (None, name):
            raise errors.invalid_properties([("name", f"must be the data connector id in the URL ({name!r})")])
        props = body.get("properties")
        if not isinstance(props, dict):
            raise errors.invalid_properties([("properties", "is required and must be an object")])
        try:
            config = read_poller_config(props)
        except ConfigRefused as refused:
            pairs = [(p.path, p.message) for p in refused.problems]
            if refused.unsupported_only:
                raise errors.not_implemented(pairs) from None
            raise errors.invalid_properties(
                [(p.path, p.message) for p in refused.problems if not p.unsupported]
            ) from None
        definition_id = _extension_id(workspace, DEFINITION_TYPE, config.definition_name)
        found = self._registry.get(definition_id)
        if found is None or found.type != DEFINITION_TYPE:
            raise errors.definition_not_found(config.definition_name, workspace.name)
        problems = self._destination_problems(config.dcr)
        if problems:
            raise errors.invalid_properties(problems)
        previous = self._existing(resource_id, CONNECTOR_TYPE, body, name)
        public, secrets = _split_secrets(props)
        resource = self._store(resource_id, CONNECTOR_TYPE, "RestApiPoller", public, previous, caller)
        self._cloud.store.put_document(_SECRETS, resource_id.lower(), {"sealed": self._box.seal(secrets)})
        self._notify(resource.id, deleted=False)
        return resource, previous is None

    def render(self, resource: Resource) -> dict[str, Any]:
        """A resource as the ARM API answers it (connectors per quirk ``connector_api_key_in_post_payload``)."""
        answer = resource.to_dict()
        if resource.type == CONNECTOR_TYPE and self._cloud.quirks.chosen(
            "connector_api_key_in_post_payload", "present"
        ):
            props = answer.get("properties") or {}
            auth = props.get(_key(props, "auth"))
            if isinstance(auth, dict) and str(auth.get(_key(auth, "type"), "")).lower() == "apikey":
                auth.setdefault(_key(auth, "isApiKeyInPostPayload"), False)
        return answer

    def connectors(self, workspace: Resource | None = None) -> list[Resource]:
        """Every RestApiPoller connector (of ``workspace``, or of the whole cloud)."""
        found = self._registry.of_type(CONNECTOR_TYPE, under=workspace.id if workspace else None)
        return [c for c in found if c.body.get("kind") == "RestApiPoller"]

    def connector(self, resource_id: str) -> Resource | None:
        found = self._registry.get(resource_id)
        return found if found is not None and found.type == CONNECTOR_TYPE else None

    def connector_properties(self, resource_id: str) -> dict[str, Any] | None:
        """A connector's properties with its secrets put back (for the poller only), or ``None``."""
        found = self.connector(resource_id)
        if found is None:
            return None
        props = copy.deepcopy(found.properties)
        kept = self._cloud.store.document(_SECRETS, resource_id.lower()) or {}
        secrets = self._box.open(kept["sealed"]) if "sealed" in kept else {}
        auth = props.get(_key(props, "auth"))
        if isinstance(auth, dict):
            auth.update(secrets)
        return props

    def workspace_of(self, connector_id: str) -> Resource | None:
        """The workspace a connector belongs to."""
        marker = f"/providers/{PROVIDER}/".lower()
        index = connector_id.lower().find(marker)
        return self._cloud.arm.workspaces.by_id(connector_id[:index]) if index > 0 else None

    # --- helpers ----------------------------------------------------------------------------------------

    def _existing(self, resource_id: str, kind: str, body: dict[str, Any], name: str) -> Resource | None:
        previous = self._registry.get(resource_id)
        if previous is not None and previous.type != kind:
            previous = None
        etag = body.get("etag")
        if previous is not None:
            # Learn: "the update requires the etag value" (the create does not); a spec issue says it no
            # longer does: quirk connector_update_etag. A stale etag is refused either way.
            if etag in (None, ""):
                if self._cloud.quirks.chosen("connector_update_etag", "required"):
                    raise errors.etag_required(name)
            elif etag != previous.body.get("etag"):
                raise errors.etag_mismatch(name)
        return previous

    def _store(
        self,
        resource_id: str,
        resource_type: str,
        kind: str,
        props: dict[str, Any],
        previous: Resource | None,
        caller: Principal,
    ) -> Resource:
        """Keep a resource (a new etag, ``systemData`` carried over) and return it."""
        who = caller.app_id or caller.object_id
        body = {"kind": kind, "properties": props, "systemData": system_data(previous, who, self._cloud.clock.now())}
        resource = Resource(resource_id, resource_type, body)
        resource.new_etag()
        self._registry.put(resource)
        return resource

    def _destination_problems(self, target: DcrTarget) -> list[tuple[str, str]]:
        base = "properties.dcrConfig"
        problems: list[tuple[str, str]] = []
        endpoints = self._registry.of_type(DCE_TYPE)
        ingestion = {
            _normalized_url(self._cloud.arm.endpoints.render(e)["properties"]["logsIngestion"]["endpoint"]): e
            for e in endpoints
        }
        if _normalized_url(target.endpoint) not in ingestion:
            problems.append(
                (
                    f"{base}.dataCollectionEndpoint",
                    f"'{target.endpoint}' is not the logs ingestion endpoint of any data collection endpoint",
                )
            )
        rule = self._cloud.arm.rules.by_immutable_id(target.rule_immutable_id)
        if rule is None:
            problems.append(
                (
                    f"{base}.dataCollectionRuleImmutableId",
                    f"no data collection rule has the immutable id '{target.rule_immutable_id}'",
                )
            )
            return problems
        streams = rule.properties.get("streamDeclarations") or {}
        flows = [f for f in rule.properties.get("dataFlows") or [] if target.stream in (f.get("streams") or [])]
        if target.stream not in streams:
            problems.append(
                (
                    f"{base}.streamName",
                    f"the data collection rule '{rule.name}' does not declare the stream '{target.stream}'",
                )
            )
        elif not flows:
            problems.append(
                (
                    f"{base}.streamName",
                    f"no data flow of the data collection rule '{rule.name}' takes the stream '{target.stream}'",
                )
            )
        dce_id = rule.properties.get("dataCollectionEndpointId")
        if not dce_id:
            problems.append(
                (
                    f"{base}.dataCollectionRuleImmutableId",
                    f"the data collection rule '{rule.name}' has no data collection endpoint (dataCollectionEndpointId); a codeless connector needs one",
                )
            )
        elif self._cloud.arm.endpoints.by_id(dce_id) is None:
            problems.append(
                (
                    f"{base}.dataCollectionRuleImmutableId",
                    f"the data collection endpoint of the rule '{rule.name}' ({dce_id}) does not exist",
                )
            )
        return problems

    def _notify(self, connector_id: str, *, deleted: bool) -> None:
        for listener in list(self.listeners):
            listener(connector_id, deleted)


def _noun(kind: str) -> str:
    return {
        DEFINITION_TYPE: "data connector definition",
        CONNECTOR_TYPE: "data connector",
        ONBOARDING_TYPE: "onboarding state",
    }[kind]


def _key(mapping: dict[str, Any], name: str) -> str:
    """The key of ``mapping`` that is ``name`` in any case (``name`` itself when absent)."""
    return next((k for k in mapping if k.lower() == name.lower()), name)


def _definition_of(connector: Resource) -> str:
    props = connector.properties
    return str(props.get(_key(props, "connectorDefinitionName"), ""))


def _split_secrets(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The properties without the secret ``auth`` fields, and those fields (as sent, names included)."""
    public = copy.deepcopy(props)
    auth = public.get(_key(public, "auth"))
    secrets: dict[str, Any] = {}
    if isinstance(auth, dict):
        for name in list(auth):
            if name.lower() in SECRET_FIELDS:
                secrets[name] = auth.pop(name)
    return public, secrets
