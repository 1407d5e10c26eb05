"""One deploy (or destroy) per environment at a time: the second stops naming the first, or waits for it."""

from __future__ import annotations

import os
import re
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from deployer.azure.blob_lease import BlobLease
from deployer.locking import Holder, environment_lock
from tests.integration.conftest import LocalEnv


def held_by_this_test(local_env: LocalEnv, command: str = "deploy") -> AbstractContextManager[Holder]:
    return environment_lock(
        local_env.root / ".miro-sentinel" / "local",
        env_name="local",
        command=command,
        wait_seconds=0,
        progress=lambda _line: None,
    )


def test_a_second_deploy_stops_at_once_naming_the_first_and_touches_nothing(local_env: LocalEnv) -> None:
    local_env.clear_requests()
    with held_by_this_test(local_env):
        run = local_env.cli("deploy", "--env", "local", "--output", "json")
    assert run.code == 3
    error = run.json()["error"]
    assert error["type"] == "EnvironmentLocked"
    assert error["message"].startswith(
        f"environment 'local' is locked by `miro-sentinel deploy` (pid {os.getpid()}) since "
    )
    assert "lock.wait_seconds" in error["remedy"]
    assert local_env.requests_log() == []  # neither Miro nor Azure was asked anything


def test_destroy_takes_the_same_lock(local_env: LocalEnv) -> None:
    with held_by_this_test(local_env, "deploy"):
        run = local_env.cli("destroy", "--env", "local", "--yes")
    assert run.code == 3
    assert run.errors[0].startswith("error: environment 'local' is locked by `miro-sentinel deploy`")


def test_a_second_deploy_waits_for_the_first_when_asked(local_env: LocalEnv) -> None:
    lock = held_by_this_test(local_env)
    lock.__enter__()
    released = False
    process = local_env.popen("deploy", "--env", "local", "--set", "lock.wait_seconds=300")
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith(f"waiting for `miro-sentinel deploy` (pid {os.getpid()}) since "), line
        assert "to finish with 'local' (up to 300 s, lock.wait_seconds)" in line
        lock.__exit__(None, None, None)
        released = True
        out, err = process.communicate(timeout=240)
    finally:
        if not released:
            lock.__exit__(None, None, None)
        if process.poll() is None:
            process.kill()
            process.communicate()
    local_env.outputs += [out, err]
    assert process.returncode == 0, err


def test_two_deploys_started_together_both_succeed_one_after_the_other(local_env: LocalEnv) -> None:
    # Without the lock both failed (etag and immutable-id races on the shared local cloud).
    first = local_env.popen("deploy", "--env", "local", "--set", "lock.wait_seconds=300", "--output", "json")
    second = local_env.popen("deploy", "--env", "local", "--set", "lock.wait_seconds=300", "--output", "json")
    results = [p.communicate(timeout=280) for p in (first, second)]
    for process, (out, err) in zip((first, second), results, strict=True):
        local_env.outputs += [out, err]
        assert process.returncode == 0, err
    planned = local_env.cli("plan", "--env", "local", "--output", "json").json()["plan"]
    assert planned == []


def test_the_lock_file_lives_with_the_environments_working_files(local_env: LocalEnv) -> None:
    run = local_env.cli("deploy", "--env", "local")
    assert run.code == 0, run.stderr
    lock_file = Path(local_env.root / ".miro-sentinel" / "local" / "run.lock")
    assert lock_file.exists()
    assert lock_file.read_text() == ""  # released: no holder named
    assert oct(lock_file.stat().st_mode & 0o777) == "0o600"


# --- the lock in Azure: two machines share no .miro-sentinel/, only the lease beside the state -------------------

IN_AZURE = ("--set", "lock.storage_account=stlocalstate", "--set", "lock.lease_seconds=15")


def another_machine(local_env: LocalEnv) -> Path:
    """A second working directory with the same settings: what a CI runner next to a laptop has."""
    other = local_env.root / "other-machine"
    (other / "envs").mkdir(parents=True)
    (other / "envs" / "local.toml").write_text((local_env.root / "envs" / "local.toml").read_text())
    return other


def lease_of(local_env: LocalEnv) -> BlobLease:
    cloud, credential = local_env.azure()
    return BlobLease(
        credential, cloud, account="stlocalstate", container="tfstate", blob="miro-sentinel-local.tfstate.lock"
    )


def test_a_deploy_is_refused_while_a_run_on_another_machine_holds_the_lease(local_env: LocalEnv) -> None:
    lease = lease_of(local_env)
    ci_runner = Holder(pid=4242, host="ci-runner-7", command="deploy", since="2026-05-01T10:00:00Z")
    assert lease.try_acquire(ci_runner.as_metadata()) is None
    try:
        local_env.clear_requests()
        run = local_env.cli("deploy", "--env", "local", "--output", "json", *IN_AZURE)
    finally:
        lease.release()
        lease.close()
    assert run.code == 3
    error = run.json()["error"]
    assert error["type"] == "EnvironmentLocked"
    assert error["message"] == (
        "environment 'local' is locked by `miro-sentinel deploy` (pid 4242 on ci-runner-7) since "
        "2026-05-01T10:00:00Z; two runs must not change it at once"
    )
    assert (
        "lease on the blob tfstate/miro-sentinel-local.tfstate.lock in storage account stlocalstate"
        in (error["remedy"])
    )
    asked = {r["service"] for r in local_env.requests_log()}
    assert asked == {"entra", "blob"}, asked  # a sign-in and the lease: neither Miro nor ARM was asked anything


def test_a_deploy_holds_the_lease_while_it_runs_and_gives_it_back(local_env: LocalEnv) -> None:
    run = local_env.cli("deploy", "--env", "local", "--output", "json", *IN_AZURE)

    assert run.code == 0, run.stderr
    lease = lease_of(local_env)
    try:
        assert lease.try_acquire({"pid": "1"}) is None, "the lease was released at the end of the run"
        lease.release()
    finally:
        lease.close()
    taken = [r for r in local_env.requests_log() if r["service"] == "blob" and r["method"] == "PUT"]
    assert len(taken) >= 4  # create, acquire, name the holder, ..., release


@pytest.mark.slow
def test_deploys_on_two_machines_started_together_run_one_after_the_other(local_env: LocalEnv) -> None:
    other = another_machine(local_env)
    wait = ("--set", "lock.wait_seconds=300", "--output", "json")
    first = local_env.popen("deploy", "--env", "local", *IN_AZURE, *wait)
    second = local_env.popen("deploy", "--env", "local", *IN_AZURE, *wait, cwd=other)
    results = [p.communicate(timeout=280) for p in (first, second)]
    for process, (out, err) in zip((first, second), results, strict=True):
        local_env.outputs += [out, err]
        assert process.returncode == 0, err
    # The holder names itself just after taking the lease, so a run that arrives in between waits for a
    # holder not yet named: what proves the lease is the waiting line itself, whoever it names.
    waited = [err for _out, err in results if re.search(r"waiting for .* to finish with 'local'", err)]
    assert len(waited) == 1, "one of them waited for the other's lease (their lock files are not shared)"
