"""Every test of the suite can fail: it asserts, expects an exception, or calls a helper of the suite that does."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.assertion_check import ALLOWED, find_tests_without_assertions
from tests.support import REPO_ROOT

SUITE = REPO_ROOT / "tests"


def suite(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "tests"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def flagged(root: Path) -> list[str]:
    return [finding.name for finding in find_tests_without_assertions(root)]


def test_every_test_of_the_suite_asserts() -> None:
    findings = find_tests_without_assertions(SUITE)

    assert findings == [], "\n".join(map(str, findings))


def test_every_allowed_exception_names_a_test_that_exists() -> None:
    for entry, reason in ALLOWED.items():
        path, _, name = entry.partition("::")
        assert f"def {name}(" in (REPO_ROOT / path).read_text(), f"{entry} is allowed but does not exist"
        assert reason.strip(), f"{entry} needs a reason"


def test_a_test_that_only_calls_things_is_flagged(tmp_path: Path) -> None:
    root = suite(tmp_path, {"test_a.py": "def test_calls(tmp_path):\n    (tmp_path / 'x').write_text('y')\n"})

    assert flagged(root) == ["test_calls"]


def test_assert_and_pytest_raises_count(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {
            "test_a.py": """
                import pytest
                def test_asserts():
                    assert 1 + 1 == 2
                def test_raises():
                    with pytest.raises(ZeroDivisionError):
                        1 / 0
                def test_fails_explicitly():
                    pytest.fail("never")
            """
        },
    )

    assert flagged(root) == []


def test_a_helper_of_the_module_or_imported_from_the_suite_counts(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {
            "support.py": "def check(x):\n    assert x\n",
            "test_a.py": """
                from tests.support import check
                def local(x):
                    check(x)
                def test_imported():
                    check(1)
                def test_through_a_local_helper():
                    local(1)
                def test_passed_along(control):
                    control.wait_until(check)
            """,
        },
    )

    assert flagged(root) == []


def test_methods_count_on_self_and_on_annotated_parameters_only(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {
            "helpers.py": """
                class Env:
                    def wait(self):
                        self.check()
                    def check(self):
                        assert True
            """,
            "test_a.py": """
                from tests.helpers import Env
                def test_annotated(env: Env):
                    env.wait()
                def test_unknown_receiver(thing):
                    thing.wait()
            """,
        },
    )

    assert flagged(root) == ["test_unknown_receiver"]


def test_a_fixture_that_asserts_counts(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {
            "conftest.py": """
                import pytest
                @pytest.fixture
                def installed():
                    assert True
                    return 1
                @pytest.fixture
                def quiet():
                    return 1
            """,
            "test_a.py": "def test_uses_installed(installed):\n    print(installed)\n"
            "def test_uses_quiet(quiet):\n    print(quiet)\n",
        },
    )

    assert flagged(root) == ["test_uses_quiet"]


def test_recursive_helpers_end(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {"test_a.py": "def ping(n):\n    pong(n)\ndef pong(n):\n    ping(n)\ndef test_loops():\n    ping(1)\n"},
    )

    assert flagged(root) == ["test_loops"]


def test_the_allow_list_leaves_a_test_out(tmp_path: Path) -> None:
    root = suite(tmp_path, {"test_a.py": "def test_smoke():\n    print('ran')\n"})

    found = find_tests_without_assertions(root, allowed={"tests/test_a.py::test_smoke": "a reason"})

    assert found == []
