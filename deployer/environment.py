"""The live connections of one environment: its target's Azure (real or local) and Miro, opened lazily.

Nothing connects until first used, so a command that fails early (a bad token) touches nothing in Azure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from deployer.azure.arm import ArmClient
from deployer.azure.blob_lease import BlobLease
from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import SignedIn, TokenCredential, signed_in
from deployer.azure.engine import ArmEngine
from deployer.azure.ingestion import IngestionClient
from deployer.azure.keyvault import read_secret
from deployer.azure.query import QueryClient
from deployer.config import Secret, Settings
from deployer.dcr.spec import DcrSpec, load_spec
from deployer.errors import ConfigError, ConfigProblem
from deployer.locking import RemoteLock, environment_lock
from deployer.miro.client import MiroClient, Pacer
from deployer.profile import Profile, profile_for
from deployer.provision import DeploymentOutputs, Engine, ProgressCallback, Target
from deployer.resources import Deployment
from deployer.retry import RetryPolicy
from deployer.survey import survey
from deployer.terraform.backend import BackendSettings
from deployer.terraform.engine import TerraformEngine
from deployer.terraform.runner import Timeouts

__all__ = ["WORK_DIR", "Environment", "spec_for", "target_for"]

#: Per-environment working files (Terraform's copy of the configuration, its data dir, local state).
WORK_DIR = ".miro-sentinel"


def spec_for(settings: Settings) -> DcrSpec:
    """``dcr/``, with the table named as the settings say (``table.name``)."""
    spec = load_spec()
    name = settings.table.name
    if name != spec.table.name:
        spec = dataclasses.replace(spec, table=dataclasses.replace(spec.table, name=name))
    return spec


def target_for(settings: Settings, *, principal_id: str, principal_type: str | None = None) -> Target:
    """What both engines deploy for ``settings``; ``principal_id`` sends the validation records.

    ``principal_type`` is that principal's kind when known (from its token); else the settings' value.
    """
    s = settings
    return Target(
        environment=s.env_name,
        tenant_id=s.azure.tenant_id,
        subscription_id=s.azure.subscription_id,
        resource_group=s.azure.resource_group,
        location=s.azure.location,
        workspace_name=s.workspace.name,
        workspace_resource_group=s.workspace_resource_group,
        table_plan=s.table.plan,
        retention_in_days=s.table.retention_in_days,
        total_retention_in_days=s.table.total_retention_in_days,
        dce_name=s.resources.dce_name,
        dcr_name=s.resources.dcr_name,
        connector_definition_name=s.resources.connector_definition_name,
        connector_name=s.resources.connector_name,
        validation_principal_id=principal_id,
        validation_principal_type=s.validation.principal_type if principal_type is None else principal_type,
        miro_api_base_url=s.miro.api_base_url,
        token_version=s.miro.token_version,
        tags=dict(s.resources.tags),
        create_workspace=s.workspace.create,
        onboard_sentinel=s.workspace.onboard_sentinel,
        content=s.content,
    )


class Environment:
    """Clients for one environment, created on first use and closed by :meth:`close`."""

    def __init__(self, settings: Settings, *, progress: ProgressCallback) -> None:
        self._given = settings
        self._progress = progress
        self._closers: list[object] = []
        self._queries: dict[str, QueryClient] = {}

    @property
    def given(self) -> Settings:
        """The settings as loaded, before the local cloud fills them in; reading them starts nothing."""
        return self._given

    # --- one run at a time ----------------------------------------------------------------------------

    @contextmanager
    def lock(self, command: str) -> Iterator[None]:
        """Hold this environment's lock while ``command`` runs: on this machine, and in Azure where it can be.

        The file ``.miro-sentinel/<env>/run.lock`` is taken before anything starts, the local cloud included,
        so a second run here waits or stops first; then the lease beside the Terraform state (``lock_blob``),
        which runs on other machines see too (``docs/locking.md``).
        """
        with environment_lock(
            self.work_dir,
            env_name=self._given.env_name,
            command=command,
            wait_seconds=self._given.lock.wait_seconds,
            progress=self._progress,
            remote=self._remote_lock,
        ):
            yield

    def _remote_lock(self) -> RemoteLock | None:
        where = self._given.lock_blob
        if where is None:
            if not self._given.is_local:  # a local cloud serves one machine; a tenant is shared
                self._progress(
                    "lock: this machine only (no storage account: set lock.storage_account, or use the azurerm "
                    "backend, so runs on other machines are locked out too)"
                )
            return None
        account, container, blob = where
        return BlobLease(
            self.credential,
            self.cloud,
            account=account,
            container=container,
            blob=blob,
            lease_seconds=self._given.lock.lease_seconds,
            retry=self.retry,
        )

    @property
    def work_dir(self) -> Path:
        """This environment's working files (``.miro-sentinel/<env>``): its lock, Terraform's, backfill's checkpoint."""
        return Path(WORK_DIR) / self._given.env_name

    # --- the target -----------------------------------------------------------------------------------

    @cached_property
    def profile(self) -> Profile:
        """Where this environment deploys (Azure, or the local cloud started or attached to on first use)."""
        profile = profile_for(self._given, progress=self._progress)
        self._closers.append(profile)
        return profile

    @cached_property
    def settings(self) -> Settings:
        """The settings, with what the target decides filled in (the local cloud's ids, workspace, Miro)."""
        return self.profile.overlay(self._given)

    # --- Azure ----------------------------------------------------------------------------------------

    @cached_property
    def miro_token(self) -> Secret | None:
        """The token from the environment or stdin (read with the settings) or, when so configured, Key Vault."""
        s = self.settings
        if s.miro_token is None and s.miro.token_source == "keyvault":
            return read_secret(s.miro.keyvault_secret_id, self.credential, self.cloud, retry=self.retry)
        return s.miro_token if s.miro_token is not None else self.profile.default_miro_token()

    @cached_property
    def cloud(self) -> AzureCloud:
        return self.profile.cloud()

    @cached_property
    def retry(self) -> RetryPolicy:
        """How each Azure call retries transient faults (``azure.retry_budget_seconds``, ``azure.max_attempts``)."""
        a = self._given.azure
        return RetryPolicy(budget=a.retry_budget_seconds, max_attempts=a.max_attempts)

    @cached_property
    def credential(self) -> TokenCredential:
        return self.profile.credential(self.settings)

    @cached_property
    def spec(self) -> DcrSpec:
        return spec_for(self.settings)

    @cached_property
    def principal(self) -> SignedIn:
        """Who sends validation records: the configured object id and type, or whoever is signed in.

        The type of a configured object id is the configured one, or empty (Azure works it out); the
        signed-in principal's comes from its token, so a person after ``az login`` is a User.
        """
        v = self.settings.validation
        if v.principal_object_id:
            return SignedIn(v.principal_object_id, v.principal_type)
        found = signed_in(self.credential, self.cloud, retry=self.retry)
        return SignedIn(found.object_id, v.principal_type or found.principal_type)

    @property
    def principal_id(self) -> str:
        return self.principal.object_id

    @cached_property
    def target(self) -> Target:
        return target_for(self.settings, principal_id=self.principal_id, principal_type=self.principal.principal_type)

    @cached_property
    def arm(self) -> ArmClient:
        client = ArmClient(
            self.credential,
            self.cloud,
            self.settings.azure.subscription_id,
            poll_interval=self.profile.arm_poll_interval,
            retry=self.retry,
        )
        self._closers.append(client)
        return client

    def engine(self, *, plan_only: bool = False) -> Engine:
        """The provisioning engine named by ``engine`` in the settings.

        :param plan_only: its plans are never applied (``plan``): the terraform engine then leaves the state
            unlocked, so an identity that may only read the state can plan. The arm engine's plans only read.
        """
        if self.settings.engine == "terraform":
            return self._terraform_engine(plan_only=plan_only)
        return ArmEngine(
            self.target,
            self.spec,
            self.arm,
            token=self.miro_token,
            progress=self._progress,
        )

    def _terraform_engine(self, *, plan_only: bool) -> TerraformEngine:
        s = self.settings
        t = s.terraform
        backend = BackendSettings(
            kind="azurerm" if t.backend == "azurerm" else "local",
            storage_account_name=t.state_storage_account or None,
            container_name=t.state_container,
            key=s.terraform_state_key,
            resource_group_name=t.state_resource_group or None,
            subscription_id=s.azure.subscription_id or None,
            tenant_id=s.azure.tenant_id or None,
            use_oidc=t.use_oidc,
        )
        engine = TerraformEngine(
            self.target,
            self.spec,
            self.miro_token.reveal() if self.miro_token is not None else None,
            work_dir=self.work_dir / "terraform",
            backend=backend,
            binary=t.binary,
            on_progress=self._progress,
            create_resource_group=s.workspace.create,
            timeouts=Timeouts(plan=t.timeout_seconds, apply=t.timeout_seconds),
            plan_only=plan_only,
            env=s.process_env,
            survey=lambda: survey(self.arm, Deployment(self.target, self.spec)),
        )
        self._closers.append(engine)
        return engine

    def ingestion(self, outputs: DeploymentOutputs) -> IngestionClient:
        client = IngestionClient(outputs.logs_ingestion_endpoint, self.credential, self.cloud, retry=self.retry)
        self._closers.append(client)
        return client

    def query(self, outputs: DeploymentOutputs) -> QueryClient:
        """The query client of the deployment's workspace (one per workspace, reused by later steps)."""
        workspace = outputs.workspace_customer_id
        if workspace not in self._queries:
            self._queries[workspace] = QueryClient(self.credential, self.cloud, workspace, retry=self.retry)
            self._closers.append(self._queries[workspace])
        return self._queries[workspace]

    # --- Miro -----------------------------------------------------------------------------------------

    def miro(self, *, pacer: Pacer | None = None) -> MiroClient:
        """A Miro client with the environment's token; raises ConfigError when there is none.

        :param pacer: spaces its requests (backfill shares one among its clients).
        """
        s = self.settings
        token = self.miro_token
        if token is None:
            raise ConfigError(
                [ConfigProblem(s.miro.token_env_var, "miro.token", f"is not set; export {s.miro.token_env_var}")],
                remedy="the token comes from the environment (or stdin), never from a flag",
            )
        client = MiroClient(
            s.miro.api_base_url,
            token,
            timeout=s.miro.timeout_seconds,
            max_attempts=s.miro.max_attempts,
            retry_budget=s.miro.retry_budget_seconds,
            verify=self.profile.miro_verify(),
            pacer=pacer,
        )
        self._closers.append(client)
        return client

    def now(self) -> dt.datetime:
        """The current time as the target's Miro and Azure see it (the local cloud's clock runs faster)."""
        return self.profile.now()

    def close(self) -> None:
        """Close every client, and the profile (which stops the local cloud if this process started it)."""
        while self._closers:
            closer = self._closers.pop()
            close = getattr(closer, "close", None)
            if callable(close):
                close()
