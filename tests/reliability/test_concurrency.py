"""Two runs on one environment at once: never interleaved; the second waits or stops naming the first.

On one machine they queue on the file lock; on two machines (two working directories, no shared
``.miro-sentinel/``) on the lease beside the state in the local cloud's Blob service. Either way both
end cleanly, the environment converges, and no Miro event is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability.cloud import Cloud, second_machine, watched_cloud
from tests.reliability.harness import TALLY, record

IN_AZURE = ("--set", "lock.storage_account=stlocalstate", "--set", "lock.lease_seconds=15")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    yield from watched_cloud(tmp_path_factory.mktemp("concurrency"))


@pytest.mark.full_only
@pytest.mark.parametrize(
    ("machines", "wait"),
    [("one machine", "0"), ("two machines", "300")],
)
def test_two_deploys_at_once_never_interleave(cloud: Cloud, machines: str, wait: str) -> None:
    other = cloud.root if machines == "one machine" else second_machine(cloud)
    args = ("deploy", "--env", "local", "--output", "json", "--set", f"lock.wait_seconds={wait}", *IN_AZURE)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda where: cloud.cli(*args, cwd=where), (cloud.root, other))

    allowed = {0} if wait != "0" else {0, 3}
    problems = record(first, allowed, f"first of two deploys ({machines}, wait {wait})")
    problems += record(second, allowed, f"second of two deploys ({machines}, wait {wait})")
    codes = sorted((first.code, second.code))
    refused = [o for o in (first, second) if o.code == 3]
    for outcome in refused:
        assert ((outcome.document() or {}).get("error") or {}).get("type") == "EnvironmentLocked", outcome.stderr

    again = cloud.cli("deploy", "--env", "local", "--output", "json")
    rerun = record(again, {0}, f"deploy after two at once ({machines})")
    nothing_applied = {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}
    if not rerun and (again.document() or {}).get("changes") == nothing_applied:
        TALLY.add("converged after re-run")
    lost, doubled = cloud.count_events()

    assert problems == []
    assert codes[0] == 0 and (codes == [0, 0] or wait == "0"), codes
    assert rerun == [] and (again.document() or {}).get("changes") == nothing_applied
    assert (lost, doubled) == (0, 0)
