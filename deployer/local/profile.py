"""The local cloud as a deployment target: its endpoints, service principal, settings and demo steps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import TokenCredential, client_secret_credential
from deployer.config import Secret, Settings, replace_section
from deployer.local.control import ControlClient
from deployer.local.process import LocalCloud
from deployer.profile import PostDeployStep
from deployer.provision import ProgressCallback, Target

__all__ = ["LocalProfile"]


class LocalProfile:
    """A running local cloud (started, or attached to) and what deploying to it means.

    A token given in ``MIRO_ACCESS_TOKEN`` is registered in the local Miro as a valid Enterprise token
    (unless the local Miro already knows it, so a test can give a token other rights first), so any token
    can be traced through the whole path; without one, the local Miro's own valid token is used.
    """

    confirm_changes = False
    arm_poll_interval = 0.5

    def __init__(self, cloud: LocalCloud, control: ControlClient) -> None:
        self.local = cloud
        self.control = control

    @classmethod
    def start(cls, settings: Settings, *, progress: ProgressCallback) -> LocalProfile:
        cloud = LocalCloud.start(settings.local, environ=settings.process_env, progress=progress)
        control = ControlClient(cloud.ready)
        profile = cls(cloud, control)
        try:
            if settings.miro_token is not None:
                control.register_miro_token(settings.miro_token)
                progress("local cloud: the local Miro knows the token in MIRO_ACCESS_TOKEN")
        except BaseException:
            profile.close()
            raise
        return profile

    def overlay(self, settings: Settings) -> Settings:
        """``settings`` with the local subscription, resource group, workspace and Miro filled in."""
        r = self.local.ready
        settings = replace_section(
            settings,
            "azure",
            tenant_id=r.tenant_id,
            subscription_id=r.subscription_id,
            resource_group=r.resource_group,
            location=r.location,
        )
        settings = replace_section(settings, "workspace", name=r.workspace_name, resource_group=r.resource_group)
        settings = replace_section(settings, "miro", api_base_url=r.miro_base_url)
        if not settings.validation.principal_object_id:
            settings = replace_section(settings, "validation", principal_object_id=r.principal_object_id)
        if "backfill.ingestion_latency_minutes" not in settings.sources:
            # Rows become visible after the local cloud's own latency, not Azure's usual minutes.
            latency = settings.local.ingestion_latency_seconds / 60
            settings = replace_section(settings, "backfill", ingestion_latency_minutes=latency)
        return dataclasses.replace(settings, sources={**settings.sources, "azure.subscription_id": "local cloud"})

    def cloud(self) -> AzureCloud:
        r = self.local.ready
        return AzureCloud(
            arm_endpoint=r.arm_endpoint,
            query_endpoint=r.query_endpoint,
            authority=r.authority,
            ca_bundle=r.ca_cert,
            blob_endpoint=r.blob_endpoint or None,
        )

    def credential(self, settings: Settings) -> TokenCredential:
        """The local cloud's service principal (its secret is the emulator's own, printed in its ready line)."""
        r = self.local.ready
        return client_secret_credential(
            self.cloud(), tenant_id=r.tenant_id, client_id=r.client_id, client_secret=r.client_secret
        )

    def default_miro_token(self) -> Secret | None:
        return Secret(self.local.ready.miro_token)  # the local Miro's own valid token

    def now(self) -> dt.datetime:
        return self.control.now()  # virtual time: it runs faster than this machine's clock

    def miro_verify(self) -> bool | str:
        return self.local.ready.ca_cert

    def post_deploy_steps(self, settings: Settings) -> Sequence[PostDeployStep]:
        # Azure's first poll takes 5-30 minutes; the local cloud's within seconds: wait, so the report is complete.
        # Only a fetch made after this deploy started counts: a failed one from before a Miro fault cleared is old news.
        mark = self.control.poll_mark(settings.resources.connector_name)

        def first_poll(target: Target) -> str:
            return self.control.wait_for_first_poll(target.connector_name, after=mark)

        return (PostDeployStep("first poll", first_poll),)

    def close(self) -> None:
        self.control.close()
        self.local.close()
