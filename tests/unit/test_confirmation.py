"""Confirmation before changing or destroying: asked in a terminal, refused without one unless --yes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from deployer.errors import ConfirmationRefused
from deployer.local.profile import LocalProfile
from deployer.pipeline import RunReport, _confirm, _Run
from deployer.profile import AzureProfile
from deployer.provision import Change, ProvisionPlan

PLAN = ProvisionPlan("terraform", (Change("table MiroAuditLogs_CL", "create", "t"),))
EMPTY = ProvisionPlan("terraform", ())


class FakeUi:
    def __init__(self, *, interactive: bool, answer: str | bool = False) -> None:
        self.interactive = interactive
        self.answer = answer
        self.questions: list[tuple[str, str | None]] = []

    def progress(self, line: str) -> None:
        pass

    def confirm(self, question: str, *, expected: str | None = None) -> bool:
        self.questions.append((question, expected))
        return self.answer == expected if expected is not None else bool(self.answer)


def env(*, local: bool = False) -> Any:
    """An environment whose profile is the real one of its kind (the local one without a running cloud)."""
    profile = LocalProfile.__new__(LocalProfile) if local else AzureProfile()
    return SimpleNamespace(settings=SimpleNamespace(is_local=local, env_name="prod"), profile=profile)


def confirm(ui: FakeUi, plan: ProvisionPlan, *, yes: bool = False, destroy: bool = False, local: bool = False) -> None:
    _confirm(_Run(RunReport("deploy", "prod", "terraform"), ui), env(local=local), plan, yes=yes, destroy=destroy)


def test_an_azure_change_is_asked_in_a_terminal() -> None:
    ui = FakeUi(interactive=True, answer=True)
    confirm(ui, PLAN)
    assert ui.questions == [("Apply these changes to 'prod'?", None)]


def test_a_no_answer_changes_nothing() -> None:
    with pytest.raises(ConfirmationRefused) as exc:
        confirm(FakeUi(interactive=True, answer=False), PLAN)
    assert exc.value.message == "not confirmed; nothing was changed"
    assert exc.value.exit_code == 2


def test_without_a_terminal_a_change_needs_yes() -> None:
    with pytest.raises(ConfirmationRefused) as exc:
        confirm(FakeUi(interactive=False), PLAN)
    assert exc.value.message == (
        "refusing to change 'prod' without confirmation: there is no terminal to ask, and --yes was not given"
    )
    confirm(FakeUi(interactive=False), PLAN, yes=True)


def test_nothing_to_change_asks_nothing() -> None:
    ui = FakeUi(interactive=False)
    confirm(ui, EMPTY)
    assert ui.questions == []


def test_the_local_cloud_is_never_asked_about_a_deploy() -> None:
    ui = FakeUi(interactive=True)
    confirm(ui, PLAN, local=True)
    assert ui.questions == []


def test_destroy_wants_the_environment_name_typed() -> None:
    ui = FakeUi(interactive=True, answer="prod")
    confirm(ui, PLAN, destroy=True, local=True)
    [(question, expected)] = ui.questions
    assert expected == "prod"
    assert "including table data" in question
    with pytest.raises(ConfirmationRefused):
        confirm(FakeUi(interactive=True, answer="yes"), PLAN, destroy=True)
