"""The lock in Azure, as the environment lock uses it: taken after the local one, renewed, released, named."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from deployer.config import Settings, load_settings
from deployer.errors import AzureUnavailable, EnvironmentLocked
from deployer.locking import Holder, environment_lock


class FakeLease:
    """A remote lock held by someone else until ``free_after`` tries, recording what is asked of it."""

    where = "blob tfstate/prod.tfstate.lock in storage account stprod"

    def __init__(self, *, other: Mapping[str, str] | None = None, free_after: int = 0, renew_every: float = 0.01):
        self.other = dict(other or {})
        self.free_after = free_after
        self.renew_every = renew_every
        self.tries = 0
        self.holder: dict[str, str] | None = None
        self.renewals = 0
        self.renewed = threading.Event()
        self.released = False
        self.closed = False
        self.fail_renewal = False
        self.fail_release = False

    def try_acquire(self, holder: Mapping[str, str]) -> dict[str, str] | None:
        self.tries += 1
        if self.other and self.tries <= self.free_after:
            return self.other
        if self.other and not self.free_after:
            return self.other
        self.holder = dict(holder)
        return None

    def renew(self) -> None:
        self.renewals += 1
        self.renewed.set()
        if self.fail_renewal:
            raise AzureUnavailable("cannot reach Azure while renewing the lock (connection dropped)")

    def release(self) -> None:
        if self.fail_release:
            raise AzureUnavailable("cannot reach Azure while releasing the lock (connection dropped)")
        self.released = True

    def close(self) -> None:
        self.closed = True


OTHER = {"pid": "4242", "host": "ci-runner-7", "command": "deploy", "since": "2026-05-01T10:00:00Z"}


def hold(
    tmp_path: Path, lease: FakeLease, *, wait: float = 0.0, lines: list[str] | None = None
) -> AbstractContextManager[Holder]:
    shown = lines if lines is not None else []
    return environment_lock(
        tmp_path / "prod",
        env_name="prod",
        command="deploy",
        wait_seconds=wait,
        progress=shown.append,
        remote=lambda: lease,
        sleep=lambda _s: None,
    )


def test_the_lease_is_taken_with_the_holder_written_and_released_at_the_end(tmp_path: Path) -> None:
    lease = FakeLease()
    with hold(tmp_path, lease):
        assert lease.holder is not None
        assert Holder.from_metadata(lease.holder).command == "deploy"
        assert lease.renewed.wait(5), "the lease is renewed while the run lasts"
    assert lease.released and lease.closed


def test_a_lease_held_on_another_machine_stops_the_run_naming_that_machine(tmp_path: Path) -> None:
    lease = FakeLease(other=OTHER)
    with pytest.raises(EnvironmentLocked) as caught, hold(tmp_path, lease):
        pass
    assert caught.value.message == (
        "environment 'prod' is locked by `miro-sentinel deploy` (pid 4242 on ci-runner-7) since 2026-05-01T10:00:00Z; "
        "two runs must not change it at once"
    )
    assert "lease on the blob tfstate/prod.tfstate.lock in storage account stprod" in caught.value.remedy
    assert "within a minute" in caught.value.remedy
    assert not lease.released and lease.closed


def test_a_run_waits_for_a_lease_held_elsewhere_saying_so_once(tmp_path: Path) -> None:
    lease = FakeLease(other=OTHER, free_after=3)
    lines: list[str] = []
    with hold(tmp_path, lease, wait=60, lines=lines):
        assert lease.holder is not None
    assert lease.tries == 4
    assert lines == [
        "waiting for `miro-sentinel deploy` (pid 4242 on ci-runner-7) since 2026-05-01T10:00:00Z to finish with "
        "'prod' (up to 60 s, lock.wait_seconds)"
    ]


def test_a_renewal_that_fails_is_said_once_and_the_run_goes_on(tmp_path: Path) -> None:
    lease = FakeLease()
    lease.fail_renewal = True
    lines: list[str] = []
    with hold(tmp_path, lease, lines=lines):
        assert lease.renewed.wait(5)
        while lease.renewals < 3:
            lease.renewed.clear()
            assert lease.renewed.wait(5)
    assert lines == [
        "lock: could not renew the lease on the blob tfstate/prod.tfstate.lock in storage account stprod: "
        "cannot reach Azure while renewing the lock (connection dropped)"
    ]


def test_a_release_that_fails_does_not_fail_the_run(tmp_path: Path) -> None:
    lease = FakeLease()
    lease.fail_release = True
    with hold(tmp_path, lease):
        pass
    assert lease.closed and not lease.released


def test_an_unnamed_lease_holder_is_reported_as_starting() -> None:
    assert Holder.from_metadata({}).describe() == "a run that has just taken the lock (it has not named itself yet)"


class NamingLease(FakeLease):
    """Held by a run caught between taking the lease and writing its name: unnamed on the first try only."""

    def try_acquire(self, holder: Mapping[str, str]) -> dict[str, str] | None:
        taken = super().try_acquire(holder)
        return {} if taken is not None and self.tries == 1 else taken


def test_the_waiting_line_names_a_holder_that_names_itself_a_moment_later(tmp_path: Path) -> None:
    lease = NamingLease(other=OTHER, free_after=3)
    lines: list[str] = []
    with hold(tmp_path, lease, wait=60, lines=lines):
        pass
    assert lease.tries == 4
    assert [line for line in lines if line.startswith("waiting")] == [
        "waiting for `miro-sentinel deploy` (pid 4242 on ci-runner-7) since 2026-05-01T10:00:00Z to finish with "
        "'prod' (up to 60 s, lock.wait_seconds)"
    ]


# --- where the lock in Azure is ------------------------------------------------------------------------------


def example(**overrides: str) -> Settings:
    return load_settings(
        "example", envs_dir=Path("envs"), environ={}, overrides=tuple(f"{k}={v}" for k, v in overrides.items())
    )


def test_the_lock_sits_beside_the_terraform_state_by_default() -> None:
    assert example().lock_blob == ("sttfstateprod", "tfstate", "miro-sentinel-example.tfstate.lock")


def test_the_lock_account_and_container_can_be_named() -> None:
    named = example(**{"lock.storage_account": "stlocks", "lock.container": "locks"})
    assert named.lock_blob == ("stlocks", "locks", "miro-sentinel-example.tfstate.lock")


def test_without_an_account_there_is_no_lock_in_azure() -> None:
    assert example(**{"terraform.backend": "local"}).lock_blob is None
    assert example(**{"terraform.state_storage_account": "", "terraform.backend": "local"}).lock_blob is None
