"""Finds test functions that cannot fail: no ``assert``, no ``pytest.raises``/``pytest.fail``, nothing that does.

A test counts as asserting when its body holds an ``assert`` statement or uses ``pytest.raises``,
``pytest.fail``, ``pytest.warns`` or ``pytest.deprecated_call``, or when it reaches a function of the
suite that does, through:

- a call of a function of its own module, or of one imported from another module of the suite;
- a call of a method on ``self``, or on a parameter annotated with a class of the suite
  (``local_env: LocalEnv`` → ``local_env.wait_until(...)`` → ``LocalEnv.wait_until``);
- a fixture of the suite it takes as a parameter (fixtures are followed the same way);
- a function of the suite passed along as an argument (``control.wait_until(check)``).

Anything else (a method on an object of unknown type, a library call) is not followed, so a test that
only calls things cannot hide behind a helper that happens to share a name with one that asserts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ALLOWED", "Finding", "Suite", "find_tests_without_assertions"]

_PYTEST_CHECKS = {"raises", "fail", "warns", "deprecated_call"}

#: ``path::test`` → why it asserts nothing itself and still tests something.
ALLOWED: Mapping[str, str] = {}

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Finding:
    """A test function that asserts nothing."""

    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name} has no assert, pytest.raises or asserting helper"


@dataclass
class _Module:
    """What one file of the suite defines and imports."""

    name: str
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    #: local name → (module name, name there), for ``from x import y`` of the suite's modules.
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Suite:
    """The test suite's modules, classes and fixtures, to follow what a test reaches."""

    modules: dict[str, _Module] = field(default_factory=dict)
    classes: dict[str, dict[str, FunctionNode]] = field(default_factory=dict)
    fixtures: dict[str, list[FunctionNode]] = field(default_factory=dict)
    #: id(function node) → (its module, its class or None).
    owners: dict[int, tuple[_Module, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, trees: Mapping[str, ast.Module]) -> Suite:
        """``trees``: dotted module name (``tests.cli.conftest``) → parsed file."""
        suite = cls()
        for name, tree in trees.items():
            module = suite.modules[name] = _Module(name)
            for node in tree.body:
                if isinstance(node, FunctionNode):
                    suite._add_function(module, None, node)
                elif isinstance(node, ast.ClassDef):
                    methods = suite.classes.setdefault(node.name, {})
                    for item in node.body:
                        if isinstance(item, FunctionNode):
                            methods[item.name] = item
                            suite._add_function(module, node.name, item)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        module.imports[alias.asname or alias.name] = (node.module, alias.name)
        return suite

    def _add_function(self, module: _Module, owner: str | None, node: FunctionNode) -> None:
        if owner is None:
            module.functions[node.name] = node
        self.owners[id(node)] = (module, owner)
        if any(_is_fixture(d) for d in node.decorator_list):
            self.fixtures.setdefault(node.name, []).append(node)

    def asserts(self, node: FunctionNode) -> bool:
        """Whether ``node`` asserts, directly or through what it reaches."""
        pending, seen = [node], set[int]()
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if _asserts_directly(current):
                return True
            pending.extend(self._reached(current))
        return False

    def _reached(self, node: FunctionNode) -> Iterator[FunctionNode]:
        module, owner = self.owners.get(id(node), (_Module("?"), None))
        annotations = _parameter_classes(node)
        for arg in node.args.args + node.args.kwonlyargs:
            yield from self.fixtures.get(arg.arg, [])
        for child in ast.walk(node):
            if not isinstance(child, ast.Call):
                continue
            func = child.func
            if isinstance(func, ast.Name):
                yield from self._function(module, func.id)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                receiver = func.value.id
                cls = owner if receiver == "self" else annotations.get(receiver)
                method = self.classes.get(cls or "", {}).get(func.attr)
                if method is not None:
                    yield method
            for arg in child.args:
                if isinstance(arg, ast.Name):
                    yield from self._function(module, arg.id)

    def _function(self, module: _Module, name: str) -> Iterator[FunctionNode]:
        if name in module.functions:
            yield module.functions[name]
        elif name in module.imports:
            source, original = module.imports[name]
            target = self.modules.get(source) or self.modules.get(f"tests.{source}")
            if target is None:  # a sibling imported by its bare name (tests/emulator puts its dir on the path)
                target = next((m for n, m in self.modules.items() if n.endswith(f".{source}")), None)
            if target is not None and original in target.functions:
                yield target.functions[original]


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def _parameter_classes(node: FunctionNode) -> dict[str, str]:
    """Parameter name → the class named by its annotation (``x: Foo`` or ``x: "Foo"``)."""
    out = {}
    for arg in node.args.args + node.args.kwonlyargs:
        annotation = arg.annotation
        if isinstance(annotation, ast.Name):
            out[arg.arg] = annotation.id
        elif isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            out[arg.arg] = annotation.value
    return out


def _asserts_directly(node: FunctionNode) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if (
            isinstance(child, ast.Attribute)
            and child.attr in _PYTEST_CHECKS
            and isinstance(child.value, ast.Name)
            and child.value.id == "pytest"
        ):
            return True
    return False


def _test_functions(tree: ast.Module) -> Iterator[FunctionNode]:
    for node in tree.body:
        if isinstance(node, FunctionNode) and node.name.startswith("test"):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield from (n for n in node.body if isinstance(n, FunctionNode) and n.name.startswith("test"))


def _module_name(root: Path, path: Path) -> str:
    return ".".join(path.relative_to(root.parent).with_suffix("").parts)


def find_tests_without_assertions(
    root: Path, files: Iterable[Path] | None = None, *, allowed: Mapping[str, str] = ALLOWED
) -> list[Finding]:
    """The test functions that assert nothing, in file order.

    :param root: the suite's directory; every Python file under it is read for helpers and fixtures.
    :param files: the test modules to check (default: every ``test_*.py`` under ``root``).
    :param allowed: ``path::test`` entries to leave out, each with its reason.
    """
    paths = sorted(root.rglob("*.py"))
    trees = {_module_name(root, p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in paths}
    suite = Suite.of(trees)
    findings = []
    for path in sorted(files) if files is not None else [p for p in paths if p.name.startswith("test_")]:
        relative = path.relative_to(root.parent).as_posix()
        for test in _test_functions(trees[_module_name(root, path)]):
            if f"{relative}::{test.name}" not in allowed and not suite.asserts(test):
                findings.append(Finding(relative, test.lineno, test.name))
    return findings
