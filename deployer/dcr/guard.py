"""The DCR-transform subset of KQL, enforced before anything runs.

Azure runs a transform once per incoming record, so it allows only operators that take one row and
give at most one, and a fixed list of scalar functions (Microsoft Learn, "Supported KQL features in
Azure Monitor transformations"). Our engine happily runs far more (``summarize``, ``join``...), so
without this guard a transform could pass ``dcr test`` and then be refused by Azure at deploy time.

Deliberate choices where the documentation is loose, each on the conservative side:

* ``iff`` is accepted as the documented ``iif``'s synonym: the official Miro solution uses it and deploys.
* ``datatable`` is refused: one version of the page lists it, another says it is not supported.
* ``columnifexists`` is accepted (documented), ``column_ifexists`` is not (the page says to use the former).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb_kql

__all__ = ["ALLOWED_FUNCTIONS", "ALLOWED_TABULAR_OPERATORS", "Violation", "check_transform_subset"]

ALLOWED_TABULAR_OPERATORS = frozenset({"extend", "project", "where", "parse", "project-away", "project-rename"})

ALLOWED_FUNCTIONS = frozenset(
    {
        # bitwise
        "binary_and", "binary_or", "binary_not", "binary_shift_left", "binary_shift_right", "binary_xor",
        # conversion
        "tobool", "todatetime", "todouble", "toreal", "toguid", "toint", "tolong", "tostring", "totimespan",
        # datetime and timespan
        "ago", "datetime_add", "datetime_diff", "datetime_part", "dayofmonth", "dayofweek", "dayofyear",
        "endofday", "endofmonth", "endofweek", "endofyear", "getmonth", "getyear", "hourofday",
        "make_datetime", "make_timespan", "now", "startofday", "startofmonth", "startofweek", "startofyear",
        "weekofyear",
        # dynamic and arrays
        "array_concat", "array_length", "pack_array", "pack", "parse_json", "parse_xml", "zip",
        # math
        "abs", "bin", "floor", "ceiling", "exp", "exp10", "exp2", "isfinite", "isinf", "isnan", "log",
        "log10", "log2", "pow", "round", "sign",
        # conditional
        "case", "iif", "iff", "max_of", "min_of",
        # string
        "base64_encodestring", "base64_decodestring", "countof", "extract", "extract_all", "indexof",
        "isempty", "isnotempty", "split", "strcat", "strcat_delim", "strlen", "substring", "tolower",
        "toupper", "hash_sha256", "replace",
        # type
        "gettype", "isnotnull", "isnull",
        # transform-only
        "parse_cef_dictionary", "geo_location", "columnifexists",
        # literals that parse as calls
        "dynamic", "datetime", "timespan", "time", "real", "long", "int", "bool", "guid", "string",
    }
)  # fmt: skip

_ALLOWED_STRING_OPERATORS = frozenset(
    {
        "==", "!=", "=~", "!~", "contains", "!contains", "contains_cs", "!contains_cs", "has", "!has",
        "has_cs", "!has_cs", "startswith", "!startswith", "startswith_cs", "!startswith_cs", "endswith",
        "!endswith", "endswith_cs", "!endswith_cs", "matches", "in", "!in",
    }
)  # fmt: skip

_KNOWN_STRING_OPERATORS = _ALLOWED_STRING_OPERATORS | {
    "has_any", "has_all", "hasprefix", "!hasprefix", "hasprefix_cs", "!hasprefix_cs", "hassuffix",
    "!hassuffix", "hassuffix_cs", "!hassuffix_cs", "in~", "!in~", "like", "notlike", "between", "!between",
}  # fmt: skip

_MAX_PARSE_COLUMNS = 10


@dataclass(frozen=True)
class Violation:
    """A construct Azure refuses in a transform; ``line`` and ``column`` are 1-based."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def check_transform_subset(text: str, *, tree: Any = None) -> list[Violation]:
    """Every construct in ``text`` that a DCR transform may not use; empty when all is allowed.

    ``text`` must parse (check syntax first); a text that does not parse yields no violations.
    ``tree`` is its syntax tree when the caller has parsed it already.
    """
    tree = tree if tree is not None else _tree(text)
    if tree is None:
        return []
    walker = _Walker()
    walker.declared = _let_names(tree)
    walker.visit(tree)
    return sorted(walker.violations, key=lambda v: (v.line, v.column))


def _tree(text: str) -> Any:
    try:
        return duckdb_kql.parse(text).tree
    except duckdb_kql.KqlSyntaxError:
        return None


def _cls(node: Any) -> str:
    return type(node).__name__.removesuffix("Context")


def _children(node: Any) -> list[Any]:
    return [node.getChild(i) for i in range(node.getChildCount())] if hasattr(node, "getChildCount") else []


def _is_terminal(node: Any) -> bool:
    return _cls(node) == "TerminalNodeImpl"


def _first_terminal(node: Any) -> Any:
    while not _is_terminal(node):
        kids = _children(node)
        if not kids:
            return None
        node = kids[0]
    return node


def _position(node: Any) -> tuple[int, int]:
    token = node.symbol if _is_terminal(node) else node.start
    return token.line, token.column + 1


def _let_names(tree: Any) -> set[str]:
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _cls(node).startswith("Let") and _cls(node).endswith("Declaration"):
            kids = [k for k in _children(node) if not (_is_terminal(k) and k.getText() == "let")]
            if kids:
                names.add(kids[0].getText())
        stack.extend(_children(node))
    return names


class _Walker:
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.declared: set[str] = set()
        self.checked: set[int] = set()

    def add(self, node: Any, message: str) -> None:
        line, column = _position(node)
        self.violations.append(Violation(line, column, message))

    def visit(self, node: Any) -> None:
        kind = _cls(node)
        if kind == "Query":
            for child in _children(node):
                if not _is_terminal(child) and not _cls(child).startswith("Let"):
                    self.check_statement(child)
        elif kind == "PipeExpression" and id(node) not in self.checked and len(_children(node)) > 1:
            # A nested query (join, union, toscalar...): its source must be allowed too.
            self.check_source(_children(node)[0])
        elif kind == "PipedOperator":
            self.check_operator(_children(node)[1])
        elif kind == "NamedFunctionCallExpression":
            self.check_function(node)
        elif kind == "ParseOperator":
            self.check_parse(node)
        elif _is_terminal(node):
            self.check_terminal(node)
        for child in _children(node):
            self.visit(child)

    def check_statement(self, node: Any) -> None:
        while not _is_terminal(node) and len(_children(node)) == 1:
            node = _children(node)[0]
        first = _first_terminal(node)
        if first is not None and first.getText() == "let":
            return
        if _cls(node) == "PipeExpression":
            self.checked.add(id(node))
            node = _children(node)[0]
        self.check_source(node)

    def check_source(self, node: Any) -> None:
        token = _first_terminal(node)
        name = token.getText() if token is not None else node.getText()
        if name == "source" or name in self.declared or name == "print":
            return
        self.add(
            node,
            f"'{name}' cannot be a data source in a DCR transform; only `source` (the incoming record) "
            "or `print` may start the query",
        )

    def check_operator(self, node: Any) -> None:
        token = _first_terminal(node)
        name = (token.getText() if token is not None else _cls(node)).lower()
        if name in ALLOWED_TABULAR_OPERATORS:
            return
        self.add(
            node,
            f"operator '{name}' is not allowed in a DCR transform (Azure applies a transform to one record "
            f"at a time; allowed: {', '.join(sorted(ALLOWED_TABULAR_OPERATORS))})",
        )

    def check_function(self, node: Any) -> None:
        token = _first_terminal(node)
        name = token.getText() if token is not None else ""
        if name in self.declared or name.lower() in ALLOWED_FUNCTIONS:
            return
        self.add(node, f"function '{name}()' is not in the list Azure allows in DCR transforms")

    def check_parse(self, node: Any) -> None:
        count = 0
        stack = [node]
        while stack:
            current = stack.pop()
            if _cls(current) == "ParseOperatorNameAndOptionalType":
                count += 1
            stack.extend(_children(current))
        if count > _MAX_PARSE_COLUMNS:
            self.add(
                node,
                f"parse extracts {count} columns; Azure allows at most {_MAX_PARSE_COLUMNS} per parse in a "
                "transform (split it into several parse operators)",
            )

    def check_terminal(self, node: Any) -> None:
        text = node.getText().lower()
        if text in _KNOWN_STRING_OPERATORS and text not in _ALLOWED_STRING_OPERATORS:
            self.add(node, f"operator '{text}' is not allowed in a DCR transform")
