"""A person deploying after ``az login``: the role assignment says User, as Azure checks it does."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests
from azure.core.credentials import AccessToken

from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import SignedIn, signed_in
from deployer.azure.engine import ArmEngine
from deployer.config import Secret
from deployer.dcr.spec import load_spec
from deployer.provision import Target
from tests.integration.conftest import LocalEnv

#: The Azure CLI's public client, through which `az login -u` signs a person in.
AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


class PasswordSignIn:
    """A person's token as `az login -u` gets it (the password grant through the Azure CLI's public client).

    azure-identity no longer offers that grant for public clients, so the request is made here.
    """

    def __init__(self, info: dict[str, Any], user_name: str, password: str) -> None:
        self.info, self.user_name, self.password = info, user_name, password

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        answer = requests.post(
            f"{self.info['authority']}/{self.info['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "password",
                "client_id": AZURE_CLI,
                "username": self.user_name,
                "password": self.password,
                "scope": " ".join(scopes),
            },
            verify=self.info["ca_cert"],
            timeout=30,
        )
        answer.raise_for_status()
        return AccessToken(answer.json()["access_token"], int(time.time()) + 3000)


def target(local_env: LocalEnv, principal: SignedIn) -> Target:
    i = local_env.info
    return Target(
        environment="local",
        tenant_id=i["tenant_id"],
        subscription_id=i["subscription_id"],
        resource_group=i["resource_group"],
        location=i["location"],
        workspace_name=i["workspace_name"],
        workspace_resource_group=i["resource_group"],
        table_plan="Analytics",
        retention_in_days=-1,
        total_retention_in_days=-1,
        dce_name="dce-miro-audit-logs",
        dcr_name="dcr-miro-audit-logs",
        connector_definition_name="MiroSentinelAuditLogs",
        connector_name="MiroSentinelAuditLogsPoller",
        validation_principal_id=principal.object_id,
        validation_principal_type=principal.principal_type,
        miro_api_base_url=i["miro_base_url"],
        token_version="1",
    )


def test_a_person_signed_in_is_assigned_the_role_as_a_user(local_env: LocalEnv) -> None:
    i = local_env.info
    user = local_env.control(
        "POST", "/principals", {"kind": "User", "user_name": f"ops-{uuid.uuid4().hex[:6]}@contoso.example"}
    )
    cloud = AzureCloud(
        arm_endpoint=i["arm_endpoint"],
        query_endpoint=i["query_endpoint"],
        authority=i["authority"],
        ca_bundle=i["ca_cert"],
    )
    credential = PasswordSignIn(i, user["user_name"], user["client_secret"])

    person = signed_in(credential, cloud)

    assert person == SignedIn(user["object_id"], "User")
    with local_env.arm() as arm:
        engine = ArmEngine(target(local_env, person), load_spec(), arm, token=Secret(i["miro_token"]))
        engine.apply(engine.plan())
        dcr = engine.target.dcr_resource_id
        [assignment] = [
            a
            for a in arm.list_role_assignments(dcr, person.object_id)
            if a["properties"]["scope"].lower() == dcr.lower()
        ]
    assert assignment["properties"]["principalType"] == "User"
