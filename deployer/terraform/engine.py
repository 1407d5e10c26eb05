"""The ``terraform`` provisioning engine: :class:`deployer.provision.Engine` on top of :class:`TerraformRunner`.

Each environment gets a working directory of its own::

    <work_dir>/config/     copy of terraform/ (refreshed on every run; the provider lock file is kept)
    <work_dir>/dcr/        copy of the DcrSpec's directory, where modules/bodies looks for it
    <work_dir>/content/    copy of content/ (analytics rules, metric alerts, hunting queries, workbook)
    <work_dir>/tf-data/    TF_DATA_DIR: providers, modules, backend settings
    <work_dir>/state/      terraform.tfstate, for the local backend only

Before a plan, resources that exist in Azure but not in the state (the Content Hub solution's table, a
deployment made with the arm engine) get an ``import`` block in ``config/`` (:data:`IMPORTS_FILE`), so
the plan adopts them rather than failing on "already exists". Plans name their changes through the
resource table (:mod:`deployer.resources`), as the arm engine does.

The Miro token only ever goes into the terraform child's environment (``TF_VAR_miro_token``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from deployer import resources
from deployer.content.spec import DEFAULT_CONTENT_DIR
from deployer.dcr.spec import DcrSpec
from deployer.errors import ConfigError, ConfigProblem, TerraformAuthError, TerraformError, TerraformProviderUnavailable
from deployer.provision import (
    ApplyResult,
    Change,
    DeploymentOutputs,
    Engine,
    PreflightCheck,
    ProgressCallback,
    ProvisionPlan,
    Target,
)
from deployer.resources import Deployment
from deployer.shipped import shipped_dir
from deployer.survey import Survey, refuse_blocked
from deployer.terraform.backend import BackendSettings
from deployer.terraform.results import PlanResult
from deployer.terraform.runner import TerraformRunner, Timeouts

__all__ = [
    "DEFAULT_TERRAFORM_DIR",
    "IMPORTS_FILE",
    "TOKEN_VARIABLE",
    "TerraformEngine",
    "import_blocks",
    "target_variables",
]

#: The ``terraform/`` root configuration (the repository's, or its copy inside an installed wheel).
DEFAULT_TERRAFORM_DIR = shipped_dir("terraform")

#: The Terraform variable that receives the Miro token (ephemeral, write-only).
TOKEN_VARIABLE = "miro_token"

#: Generated into the configuration copy: one ``import`` block per resource to adopt.
IMPORTS_FILE = "miro_sentinel_imports.tf"

_COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "*.tfplan", "*.auto.tfvars.json", "__pycache__"
)
_LOCK_FILE = ".terraform.lock.hcl"

#: What ``terraform init`` says when the state container is missing or the identity lacks a data role.
_STATE_UNREACHABLE = re.compile(
    r"AuthorizationPermissionMismatch|AuthorizationFailure|ContainerNotFound|StorageAccountNotFound"
    r"|Failed to get existing workspaces|no such host",
    re.I,
)


def target_variables(target: Target, *, table_name: str, create_resource_group: bool = False) -> dict[str, Any]:
    """The root configuration's inputs for ``target`` (everything but the token).

    One object, ``target``, whose attributes are :class:`Target`'s fields by the same names (the
    environment's name aside), plus the table's name and whether to create resource groups; it travels
    unchanged through ``terraform/``, ``modules/pipeline`` and ``modules/bodies``, which validates it.
    """
    values: dict[str, Any] = {f.name: getattr(target, f.name) for f in fields(target) if f.name != "environment"}
    values["tags"] = dict(target.tags)
    values["content"] = {
        f.name: list(v) if isinstance(v := getattr(target.content, f.name), tuple) else v
        for f in fields(target.content)
    }
    return {"target": {**values, "table_name": table_name, "create_resource_group": create_resource_group}}


class TerraformEngine:
    """Provision a :class:`Target` with ``terraform/`` (azapi), state per environment.

    :param target: what to deploy and where.
    :param spec: the ``dcr/`` definition; its directory is what Terraform reads.
    :param token: the Miro token; ``None`` is enough for plans, destroy and outputs, and for applies that leave
        the connector alone (the token is an ephemeral, write-only input: nothing else needs it).
    :param work_dir: this environment's working directory (created if missing).
    :param backend: where the state lives.
    :param source_dir: the Terraform root configuration to copy (default: the repository's ``terraform/``).
    :param binary: terraform executable.
    :param on_progress: receives Terraform's progress lines (secrets redacted).
    :param create_resource_group: also create the resource group(s).
    :param plan_only: plans are never applied (``miro-sentinel plan``): Terraform does not take the state lock,
        so an identity that may only read the state can plan, and :meth:`apply` refuses.
    """

    name = "terraform"

    def __init__(
        self,
        target: Target,
        spec: DcrSpec,
        token: str | None,
        *,
        work_dir: Path,
        backend: BackendSettings,
        source_dir: Path = DEFAULT_TERRAFORM_DIR,
        binary: str = "terraform",
        on_progress: ProgressCallback | None = None,
        create_resource_group: bool = False,
        timeouts: Timeouts | None = None,
        lock_timeout: int = 0,
        plan_only: bool = False,
        env: Mapping[str, str],
        survey: Callable[[], Survey] | None = None,
    ) -> None:
        self.target = target
        self.spec = spec
        self._deployment = Deployment(target, spec)
        self._survey = survey
        #: Where ``terraform/`` keeps each kind of resource (a test's stand-in configuration may differ).
        self.addresses: dict[str, str] = {k.key: k.terraform_address for k in resources.KINDS}
        self._token = token
        self.work_dir = Path(work_dir)
        self.backend = backend
        self.source_dir = Path(source_dir)
        self.create_resource_group = create_resource_group
        self.plan_only = plan_only
        self.config_dir = self.work_dir / "config"
        self._runner = TerraformRunner(
            self.config_dir,
            binary=binary,
            data_dir=self.work_dir / "tf-data",
            env=env,
            on_output=on_progress,
            timeouts=timeouts,
            lock_timeout=lock_timeout,
        )
        self._prepared = False
        self._pending: tuple[ProvisionPlan, PlanResult] | None = None
        self._blocked: Survey | None = None

    def __enter__(self) -> TerraformEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Forget the pending plan and delete every saved plan file."""
        self._pending = None
        self._runner.close()

    # --- Engine protocol ------------------------------------------------------------------------------

    def plan(self) -> ProvisionPlan:
        """What :meth:`apply` would change, from a saved plan kept for it. Needs no token.

        :raises TerraformError: Terraform failed (typed: lock, auth, providers, configuration).
        """
        return self._plan(destroy=False)

    def apply(self, plan: ProvisionPlan) -> ApplyResult:
        """Apply the saved plan that :meth:`plan` returned as ``plan``; nothing is applied without changes.

        :raises ConfigError: the plan creates or updates the connector, and there is no token.
        :raises UsageError: Azure would refuse part of it (a table column's type would change).
        """
        if self._blocked is not None:
            refuse_blocked(self._blocked)
        self._apply_pending(plan, destroy=False)
        return ApplyResult(changes=plan.changes, outputs=self.outputs())

    def plan_destroy(self) -> ProvisionPlan:
        """What :meth:`destroy` would delete."""
        return self._plan(destroy=True)

    def destroy(self, plan: ProvisionPlan) -> ProvisionPlan:
        """Apply the saved destroy plan that :meth:`plan_destroy` returned; returns what was deleted."""
        self._apply_pending(plan, destroy=True)
        return plan

    def preflight(self) -> tuple[PreflightCheck, ...]:
        """Whether the state can be read: ``terraform init`` against the backend, which lists the container."""
        title, b = "Terraform state", self.backend
        if b.kind != "azurerm":
            return (PreflightCheck("state", title, "skipped", "kept in a local file"),)
        where = f"container {b.container_name} of storage account {b.storage_account_name}"
        try:
            self._prepare()
        except TerraformProviderUnavailable as exc:
            return (PreflightCheck("state", title, "skipped", f"could not check: {exc.message}", exc.remedy),)
        except TerraformError as exc:
            if not (isinstance(exc, TerraformAuthError) or _STATE_UNREACHABLE.search(exc.message)):
                return (PreflightCheck("state", title, "skipped", f"could not check: {exc.message}", exc.remedy),)
            return (
                PreflightCheck(
                    "state",
                    title,
                    "failed",
                    f"{where} cannot be read with this identity: {exc.message.splitlines()[0]}",
                    "sign in (az login, or azure/login in GitHub Actions) as an identity with Storage Blob Data "
                    "Contributor on the container (Storage Blob Data Reader to plan), and check terraform.state_* settings",
                ),
            )
        return (PreflightCheck("state", title, "ok", f"{where} is readable"),)

    def outputs(self) -> DeploymentOutputs:
        """Ids and endpoints from the environment's state.

        :raises TerraformError: nothing is deployed (no outputs in state) or Terraform failed.
        """
        self._prepare()
        values = self._runner.output()
        wanted = [f.name for f in fields(DeploymentOutputs)]
        missing = [name for name in wanted if name not in values]
        if missing:
            raise TerraformError(
                f"the Terraform state of environment {self.target.environment!r} has no {', '.join(missing)}: "
                "nothing is deployed there yet",
                remedy=f"run `miro-sentinel deploy --env {self.target.environment}`",
            )
        return DeploymentOutputs(**{name: str(values[name].value) for name in wanted})

    # --- internals ------------------------------------------------------------------------------------

    def _secrets(self) -> dict[str, str]:
        return {TOKEN_VARIABLE: self._token} if self._token is not None else {}

    def _plan(self, *, destroy: bool) -> ProvisionPlan:
        self._prepare()
        if self._pending is not None:
            self._runner.discard(self._pending[1])
            self._pending = None
        found = self._survey() if self._survey is not None and not destroy else None
        self._blocked = found if found is not None and found.blockers else None
        self._write_imports(found)
        # What exists under another id (a role granted by hand) is taken as is: Terraform leaves it alone.
        apart = [f for f in found.findings if f.elsewhere] if found is not None else []
        target = self.target
        if any(f.resource.kind is resources.ROLE_ASSIGNMENT for f in apart):
            target = replace(target, create_role_assignment=False)
        saved = self._runner.plan(
            target_variables(target, table_name=self.spec.table.name, create_resource_group=self.create_resource_group),
            secrets=self._secrets(),
            destroy=destroy,
            lock=not self.plan_only,
        )
        named = [self._named(c.to_change(), found) for c in saved.changes]
        provision_plan = ProvisionPlan(self.name, (*named, *(c for f in apart if (c := f.change()) is not None)))
        if self._token is None:
            # The token is only ever written: a plan without it shows the same changes, and marks the one
            # that deploy cannot make without it.
            needing = self._needing_token(provision_plan)
            marked = tuple(
                replace(c, detail="; ".join(filter(None, [c.detail, "needs the Miro token"]))) if c in needing else c
                for c in provision_plan.changes
            )
            provision_plan = replace(provision_plan, changes=marked)
        self._pending = (provision_plan, saved)
        return provision_plan

    def _needing_token(self, plan: ProvisionPlan) -> tuple[Change, ...]:
        """The changes that write the connector, which Sentinel accepts only with the token."""
        connector = resources.by_key(self._deployment, resources.CONNECTOR.key).address
        return tuple(c for c in plan.changes if c.address == connector and c.action not in ("delete", "adopt"))

    def _named(self, change: Change, found: Survey | None) -> Change:
        """``change`` under the resource table's address, as the arm engine names it."""
        kind = next((k for k, address in self.addresses.items() if address == change.address), None)
        if kind is None:
            return change
        r = resources.by_key(self._deployment, kind)
        blocker = next((f.blocker for f in found.findings if f.resource.kind.key == kind), "") if found else ""
        detail = "; ".join(x for x in (change.detail, blocker) if x)
        return Change(r.address, change.action, r.kind.arm_type, detail)

    def _write_imports(self, found: Survey | None) -> None:
        """An ``import`` block for each resource that exists in Azure but not in the state; none otherwise."""
        path = self.config_dir / IMPORTS_FILE
        # Only the resource at our id: a role granted under another name is taken as is, not imported.
        existing = (
            {f.resource.kind.key: f.resource for f in found.findings if f.current is not None and not f.elsewhere}
            if found
            else {}
        )
        if not existing:
            path.unlink(missing_ok=True)
            return
        managed = self._runner.managed_addresses()
        wanted = {self.addresses[k]: r for k, r in existing.items() if self.addresses[k] not in managed}
        blocks = import_blocks(wanted)
        if blocks:
            path.write_text(blocks, encoding="utf-8")
        else:
            path.unlink(missing_ok=True)

    def _apply_pending(self, plan: ProvisionPlan, *, destroy: bool) -> None:
        """Apply the saved plan behind ``plan`` (once); a plan that would change nothing is only discarded."""
        pending = self._pending
        if pending is None or pending[0] != plan or pending[1].destroy != destroy:
            raise TerraformError(
                "this plan was not made by this engine, or was already applied",
                remedy="run the plan again and apply the plan it returns",
            )
        if self.plan_only:
            raise TerraformError(
                "this engine only plans (miro-sentinel plan): its plans are made without the state lock",
                remedy="run `miro-sentinel deploy`, which plans and applies",
            )
        needing = self._needing_token(plan)
        if needing and self._token is None:
            raise ConfigError(
                [
                    ConfigProblem(
                        "deploy",
                        "Miro token",
                        f"the Sentinel connector must be {needing[0].action}d, which needs the Miro token",
                    )
                ],
                remedy="provide the Miro token (MIRO_ACCESS_TOKEN) and run again",
            )
        self._pending = None
        saved = pending[1]
        if saved.applyable:
            self._runner.apply(saved, secrets=self._secrets())
        else:
            self._runner.discard(saved)

    def _prepare(self) -> None:
        """Refresh the configuration copy, write the backend settings and run ``terraform init`` (once)."""
        if self._prepared:
            return
        self.work_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_file = self.config_dir / _LOCK_FILE
        kept_lock = lock_file.read_bytes() if lock_file.exists() else None
        shutil.rmtree(self.config_dir, ignore_errors=True)
        shutil.copytree(self.source_dir, self.config_dir, ignore=_COPY_IGNORE)
        if kept_lock is not None and not (self.source_dir / _LOCK_FILE).exists():
            lock_file.write_bytes(kept_lock)
        elif (self.source_dir / _LOCK_FILE).exists():
            shutil.copy2(self.source_dir / _LOCK_FILE, lock_file)
        dcr_copy = self.work_dir / "dcr"
        shutil.rmtree(dcr_copy, ignore_errors=True)
        shutil.copytree(self.spec.root, dcr_copy, ignore=shutil.ignore_patterns("__pycache__"))
        content_copy = self.work_dir / "content"
        shutil.rmtree(content_copy, ignore_errors=True)
        shutil.copytree(DEFAULT_CONTENT_DIR, content_copy, ignore=shutil.ignore_patterns("__pycache__"))
        (self.work_dir / "state").mkdir(mode=0o700, exist_ok=True)
        backend_config = self.backend.write(self.config_dir, state_path="../state/terraform.tfstate")
        self._runner.init(backend_config=backend_config)
        self._prepared = True


def import_blocks(adopt: Mapping[str, resources.Resource]) -> str:
    """Terraform ``import`` blocks: each address takes the existing resource (azapi: id with api-version)."""
    blocks = [
        f"import {{\n  to = {address}\n  id = {json.dumps(f'{r.resource_id}?api-version={r.kind.api_version}')}\n}}\n"
        for address, r in sorted(adopt.items())
    ]
    header = "# Generated by miro-sentinel before each plan: resources that exist but are not in the state yet.\n"
    return header + "\n".join(blocks) if blocks else ""


if TYPE_CHECKING:  # mypy proves the engine implements the contract the pipeline uses

    def _implements_engine(engine: TerraformEngine) -> Engine:
        return engine
