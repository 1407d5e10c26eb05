"""``emulator serve`` arguments: bad ones exit 2 with one line; other hosts than loopback only when allowed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import cli
from tests.support import REPO_ROOT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-scale", "-1"], "error: --time-scale must be a finite number > 0, not -1"),
        (["--time-scale", "0"], "error: --time-scale must be a finite number > 0, not 0"),
        (["--time-scale", "nan"], "error: --time-scale must be a finite number > 0, not nan"),
        (["--time-scale", "inf"], "error: --time-scale must be a finite number > 0, not inf"),
        (["--time-scale", "fast"], "error: argument --time-scale: invalid float value: 'fast'"),
        (["--role-propagation-seconds", "-5"], "error: --role-propagation-seconds must be a finite number >= 0"),
        (["--ingestion-latency-seconds", "inf"], "error: --ingestion-latency-seconds must be a finite number >= 0"),
        (["--port", "70000"], "error: --port must be between 0 and 65535, not 70000"),
        (["--parent-pid", "0"], "error: --parent-pid must be a process id > 0, not 0"),
        (["--log-level", "LOUD"], "error: --log-level must be DEBUG, INFO, WARNING or ERROR, not 'LOUD'"),
        (["--no-such-flag"], "error: unrecognized arguments: --no-such-flag"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = cli.main(["serve", "--state-dir", str(tmp_path / "state"), *args])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(message)
    assert not (tmp_path / "state").exists(), "nothing is created for a refused command"


@pytest.mark.parametrize(
    ("host", "lines"),
    [
        ("999.1.1.1", ["error: --host '999.1.1.1' is not an IPv4 address or a name of one", "hint: use 127.0.0.1"]),
        ("", ["error: --host '' is not an IPv4 address or a name of one", "hint: use 127.0.0.1"]),
        (
            "0.0.0.0",
            [
                "error: --host 0.0.0.0 is not a loopback address, so the local cloud would be reachable from other "
                "machines",
                "hint: use 127.0.0.1, or pass --allow-remote to serve it there anyway",
            ],
        ),
    ],
)
def test_a_bad_host_exits_2_with_an_error_line_and_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str, lines: list[str]
) -> None:
    code = cli.main(["serve", "--state-dir", str(tmp_path / "state"), "--host", host])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == lines
    assert not (tmp_path / "state").exists(), "nothing is created for a refused command"


def test_an_address_not_of_this_machine_exits_2_even_when_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["serve", "--state-dir", str(tmp_path), "--host", "192.0.2.1", "--allow-remote"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        "error: cannot listen on 192.0.2.1:0: Cannot assign requested address; choose another --host or --port"
    ]


@pytest.mark.slow
def test_a_remote_host_serves_when_allowed_with_a_warning_and_the_bound_address(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(tmp_path), "--host", "0.0.0.0", "--allow-remote",
         "--log-level", "WARNING"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)

    assert info["bound_host"] == "0.0.0.0"
    assert info["arm_endpoint"] == f"https://127.0.0.1:{info['bound_port']}"
    assert (
        f"warning: the local cloud listens on 0.0.0.0:{info['bound_port']}, reachable from other machines; "
        "only its control token guards the control API"
    ) in errors.splitlines()
    assert process.returncode == 0


def test_the_loopback_ready_line_tells_the_bound_address(emulator: dict[str, object]) -> None:
    assert emulator["bound_host"] == "127.0.0.1"
    assert emulator["arm_endpoint"] == f"https://127.0.0.1:{emulator['bound_port']}"


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["--time-scale", "inf"], "error: --time-scale must be a finite number > 0, not inf"),
        (["--host", "0.0.0.0"], "error: --host 0.0.0.0 is not a loopback address"),
        (["--host", "999.1.1.1"], "error: --host '999.1.1.1' is not an IPv4 address or a name of one"),
        (["--time-scale", "-1"], "error: Invalid value for '--time-scale': -1.0 is not in the range x>0."),
    ],
)
def test_miro_sentinel_emulator_serve_exits_2_too(tmp_path: Path, args: list[str], first_line: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deployer", "emulator", "serve", "--state-dir", str(tmp_path / "state"), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith(first_line)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
