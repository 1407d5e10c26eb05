"""Where a command deploys: one interface, an Azure and a local implementation.

A :class:`Profile` says which endpoints and credential to use, how it changes the settings, which Miro
token and CA to use by default, whether changes need a confirmation, and which steps run after a deploy.
The pipeline and :class:`deployer.environment.Environment` ask the profile; they never test for the
local cloud themselves. :func:`profile_for` is the one place that chooses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from deployer.azure.cloud import PUBLIC_CLOUD, AzureCloud
from deployer.azure.credentials import TokenCredential, credential_for
from deployer.config import Secret, Settings
from deployer.provision import ProgressCallback, Target

__all__ = ["AzureProfile", "PostDeployStep", "Profile", "profile_for"]


@dataclass(frozen=True)
class PostDeployStep:
    """A step that runs after the validation of a deploy: its name in the report, and what it does."""

    name: str
    run: Callable[[Target], str]


class Profile(Protocol):
    """What differs between deploying to Azure and to the local cloud."""

    #: Whether a change to the environment asks for confirmation (``--yes`` or a terminal).
    confirm_changes: bool
    #: Seconds between polls of a long ARM operation.
    arm_poll_interval: float

    def overlay(self, settings: Settings) -> Settings:
        """``settings`` with what the target decides (ids, endpoints), the rest unchanged."""
        ...

    def cloud(self) -> AzureCloud:
        """The endpoints (and CA) of the target's Azure."""
        ...

    def credential(self, settings: Settings) -> TokenCredential:
        """Who signs in to it."""
        ...

    def default_miro_token(self) -> Secret | None:
        """The Miro token to use when none was given."""
        ...

    def now(self) -> dt.datetime:
        """The current time as the target's Miro and tables see it."""
        ...

    def miro_verify(self) -> bool | str:
        """TLS verification for Miro: True, or the CA bundle of the target's Miro."""
        ...

    def post_deploy_steps(self, settings: Settings) -> Sequence[PostDeployStep]:
        """Steps that run after a deploy's validation, before its health report.

        Asked for when the deploy starts, before anything is written, so a step can remember how things
        stood then.
        """
        ...

    def close(self) -> None:
        """Release what the profile holds (the local cloud it started)."""
        ...


class AzureProfile:
    """A real tenant: public Azure, the configured credential, the settings as given."""

    confirm_changes = True
    arm_poll_interval = 10.0

    def overlay(self, settings: Settings) -> Settings:
        return settings

    def cloud(self) -> AzureCloud:
        return PUBLIC_CLOUD

    def credential(self, settings: Settings) -> TokenCredential:
        return credential_for(settings.azure.credential, tenant_id=settings.azure.tenant_id)

    def default_miro_token(self) -> Secret | None:
        return None

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def miro_verify(self) -> bool | str:
        return True

    def post_deploy_steps(self, settings: Settings) -> Sequence[PostDeployStep]:
        return ()

    def close(self) -> None:
        return None


def profile_for(settings: Settings, *, progress: ProgressCallback) -> Profile:
    """The profile of ``settings``' environment: the local cloud's for ``cloud = "local"``, else Azure's."""
    if settings.is_local:
        from deployer.local.profile import LocalProfile  # the one path to the emulator

        return LocalProfile.start(settings, progress=progress)
    return AzureProfile()
