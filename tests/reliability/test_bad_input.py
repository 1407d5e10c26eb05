"""Every bad input of the corpus, through the installed CLI: one clear line, the right exit code, nothing else.

The runs happen up front, two at a time (the machine has two cores), each in a working directory of its
own with a valid environment ``base`` beside whatever the case writes; each test then judges one outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.corpus import BASE_SETTINGS, CASES, Case
from tests.reliability.harness import CANARY, TALLY, Outcome, child_environment, files_with_canary, record, run

#: The fast part (``make test``) runs every SAMPLE-th case, and every case of a kind seen once.
SAMPLE = 12


def fast_sample() -> set[str]:
    kinds: set[str] = set()
    chosen: set[str] = set()
    for i, case in enumerate(c for c in CASES if not c.heavy):
        kind = case.name.split(":")[0]
        if i % SAMPLE == 0 or kind not in kinds:
            chosen.add(case.name)
            kinds.add(kind)
    return chosen


FAST = fast_sample()


def params() -> list[object]:
    marks = {True: [pytest.mark.full_only], False: []}
    return [pytest.param(c, id=c.name, marks=marks[c.name not in FAST]) for c in CASES]


def prepare(case: Case, root: Path) -> tuple[Path, dict[str, str]]:
    work = root / f"case-{CASES.index(case):03d}"
    (work / "envs").mkdir(parents=True)
    (work / "envs" / "base.toml").write_text(BASE_SETTINGS)
    for name, content in case.files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    token = case.token if case.token is not None else CANARY
    env = child_environment(None, case.env)
    if isinstance(token, bytes):
        environb = {k.encode(): v.encode("utf-8", "surrogateescape") for k, v in env.items()}
        environb[b"MIRO_ACCESS_TOKEN"] = token
        env = {k.decode("utf-8", "surrogateescape"): v.decode("utf-8", "surrogateescape") for k, v in environb.items()}
    else:
        env["MIRO_ACCESS_TOKEN"] = token
    return work, env


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[Outcome, Path]]]:
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module
    ]
    root = tmp_path_factory.mktemp("corpus")

    def one(case: Case) -> tuple[str, tuple[Outcome, Path]]:
        work, env = prepare(case, root)
        return case.name, (run(case.args, cwd=work, env=env, stdin=case.stdin, timeout=120), work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(pool.map(one, selected))
    yield done


@pytest.mark.parametrize("case", params())
def test_a_bad_input_gets_one_clear_line_and_its_exit_code(
    case: Case, outcomes: dict[str, tuple[Outcome, Path]]
) -> None:
    outcome, work = outcomes[case.name]
    problems = record(outcome, case.allowed, case.name)
    leaked = files_with_canary(work)
    if leaked:
        TALLY.add("leaks", len(leaked))
        problems.append(f"the canary token is in {leaked}")
    if case.says and outcome.error_lines and case.says not in outcome.error_lines[0]:
        problems.append(f"the error line does not say {case.says!r}: {outcome.error_lines[0]!r}")
    if problems and case.pending:
        pytest.xfail(f"waits for branch {case.pending}: {'; '.join(problems)}")
    assert problems == [], f"{case.name}: {outcome.args[:3]} -> {problems}\n{outcome.stderr[-600:]}"
    assert CANARY not in outcome.stdout + outcome.stderr
    assert os.path.isdir(work)
