"""Rules of the house that code review would otherwise have to catch."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

DEPLOYER = REPO_ROOT / "deployer"

#: Only the client of each external system may import its library (DESIGN.md, rules of the house).
CLIENT_IMPORTS = {
    "requests": ("deployer/miro/", "deployer/local/"),
    "azure": ("deployer/azure/", "deployer/local/"),
    "subprocess": ("deployer/terraform/", "deployer/local/"),
}

#: The one module that reads the process environment; everything else gets values from the settings.
ENVIRONMENT_READER = "deployer/config/loading.py"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files() -> list[Path]:
    return sorted(DEPLOYER.rglob("*.py"))


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_deployer_never_imports_the_emulator_except_local(path: Path) -> None:
    relative = str(path.relative_to(REPO_ROOT))
    if relative.startswith("deployer/local/"):
        return
    assert not {n for n in _imports(path) if n == "emulator" or n.startswith("emulator.")}, relative


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_only_clients_import_their_external_library(path: Path) -> None:
    relative = str(path.relative_to(REPO_ROOT))
    for library, allowed in CLIENT_IMPORTS.items():
        used = {n for n in _imports(path) if n == library or n.startswith(library + ".")}
        if used:
            assert relative.startswith(allowed), f"{relative} imports {sorted(used)}; only {allowed} may"


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_only_config_reads_the_process_environment(path: Path) -> None:
    relative = str(path.relative_to(REPO_ROOT))
    if relative == ENVIRONMENT_READER:
        return
    text = path.read_text(encoding="utf-8")
    assert "os.environ" not in text and "os.getenv" not in text, f"{relative} reads the environment"


def test_the_named_environment_reader_is_the_one_that_reads_it() -> None:
    """Keeps the exemption above pointing at the module that really reads the environment."""
    tree = ast.parse((REPO_ROOT / ENVIRONMENT_READER).read_text(encoding="utf-8"))
    reads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ]
    assert reads, f"{ENVIRONMENT_READER} no longer reads os.environ; name the module that does"


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "kqlengine").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO_ROOT))
)
def test_the_kql_engine_package_is_neutral(path: Path) -> None:
    """Both sides share the engine; it must not carry either side's rules."""
    relative = str(path.relative_to(REPO_ROOT))
    imported = {n.split(".")[0] for n in _imports(path)}
    assert not imported & {"deployer", "emulator"}, f"{relative} imports {sorted(imported & {'deployer', 'emulator'})}"


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_message_calls_a_failure_a_bug(path: Path) -> None:
    """An operator is told what failed and what to do, never that the tool is broken (issue 14)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    said = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\bbugs?\b", node.value, re.I)
    ]
    assert not said, f"{path.relative_to(REPO_ROOT)} says 'bug': {said}"


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "emulator").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO_ROOT))
)
def test_the_emulator_imports_nothing_of_the_deployer(path: Path) -> None:
    """The local cloud judges by Azure's rules, never the product's: it shares only the neutral KQL engine."""
    relative = str(path.relative_to(REPO_ROOT))
    imported = {n for n in _imports(path) if n == "deployer" or n.startswith("deployer.")}
    assert not imported, f"{relative} imports {sorted(imported)}"


#: ``# nosec B608 # why``: bandit reads the test ids up to the second ``#``; the reason follows it.
_NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")


def _nosec_lines() -> list[tuple[str, int, str]]:
    found = []
    for folder in ("deployer", "emulator", "kqlengine"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = _NOSEC.search(line)
                if match:
                    found.append((str(path.relative_to(REPO_ROOT)), number, match["rest"]))
    return found


def test_every_nosec_names_its_check_and_says_why() -> None:
    """bandit fails `make test` on a medium finding unless the line says, for a reader, why it is safe."""
    unexplained = [
        f"{path}:{number}"
        for path, number, rest in _nosec_lines()
        if not re.fullmatch(r"\s+B\d{3}(,\s*B\d{3})*\s+#\s+\S.{9,}", rest)
    ]
    assert unexplained == [], f"a nosec without its check id and reason: {unexplained}"
