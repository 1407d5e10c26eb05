"""Every bad input of the corpus, through the installed CLI: one clear line, the right exit code, nothing else.

Each case runs in a working directory of its own, with a valid environment ``base`` beside whatever the
case writes (``make reliability`` runs them two at a time, one per core, with pytest-xdist).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.corpus import BASE_SETTINGS, CASES, Case
from tests.reliability.harness import CANARY, TALLY, child_environment, files_with_canary, record, run

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
    work = root / "work"
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


@pytest.mark.parametrize("case", params())
def test_a_bad_input_gets_one_clear_line_and_its_exit_code(case: Case, tmp_path: Path) -> None:
    work, env = prepare(case, tmp_path)
    outcome = run(case.args, cwd=work, env=env, stdin=case.stdin, timeout=120)
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
