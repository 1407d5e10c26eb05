"""The KQL that Azure accepts in a DCR transform, modelled from Microsoft Learn, as an allowlist.

Source: "Supported KQL features in Azure Monitor transformations" (``data-collection-transformations-kql``,
summarised in ``../shared/reference/azure-apis-and-terraform.md`` §2.8). The page says "only the operators
listed in this article are supported", so this model refuses every grammar construct it does not list,
instead of looking for known-bad ones: a construct nobody thought of is refused here, as in Azure.

What the page lists, and so what passes here:

* statements: ``let`` (scalar values, tabular values, and functions whose parameters are scalar) and one
  tabular expression whose source is ``source`` (the incoming record) or ``print``;
* tabular operators: ``extend``, ``project``, ``print``, ``where``, ``parse`` (at most 10 columns per
  statement), ``project-away``, ``project-rename``; ``datatable`` depends on the quirk
  ``transform_datatable`` (one version of the page lists it, another says it is not supported);
* scalar operators: arithmetic, comparison, ``and``/``or``, the listed string operators
  (:data:`STRING_OPERATORS`), ``in``/``!in``;
* the scalar functions in :data:`FUNCTIONS`, the literals of every scalar type, and dynamic member access.

Decided on evidence rather than on the page: ``iff`` (not listed; ``iif`` is) is accepted, because the
official Microsoft Sentinel Miro solution's DCR uses it and deploys. ``not()`` is not listed either and,
with no such evidence, is refused (write ``!=``, ``!has``... instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb_kql

__all__ = ["FUNCTIONS", "MAX_PARSE_COLUMNS", "STRING_OPERATORS", "SubsetViolation", "subset_violations"]

#: Scalar functions the page lists, by its sections (lower case; KQL function names are case-sensitive
#: in Kusto, and all of these are lower case there).
FUNCTIONS = frozenset(
    [
        *("binary_and", "binary_not", "binary_or", "binary_shift_left", "binary_shift_right", "binary_xor"),
        *("tobool", "todatetime", "todouble", "toreal", "toguid", "toint", "tolong", "tostring", "totimespan"),
        *("ago", "datetime_add", "datetime_diff", "datetime_part", "dayofmonth", "dayofweek", "dayofyear"),
        *("endofday", "endofmonth", "endofweek", "endofyear", "getmonth", "getyear", "hourofday"),
        *("make_datetime", "make_timespan", "now", "startofday", "startofmonth", "startofweek", "startofyear"),
        "weekofyear",
        *("array_concat", "array_length", "pack_array", "pack", "parse_json", "parse_xml", "zip"),
        *("abs", "bin", "floor", "ceiling", "exp", "exp10", "exp2", "isfinite", "isinf", "isnan"),
        *("log", "log10", "log2", "pow", "round", "sign"),
        *("case", "iif", "max_of", "min_of"),
        *("base64_encodestring", "base64_decodestring", "countof", "extract", "extract_all", "indexof"),
        *("isempty", "isnotempty", "replace", "split", "strcat", "strcat_delim", "strlen", "substring"),
        *("tolower", "toupper", "hash_sha256"),
        *("gettype", "isnotnull", "isnull"),
        # Only in transforms (the page's "special functions"), and the tabular helper it lists.
        *("parse_cef_dictionary", "geo_location", "columnifexists"),
        # Accepted on evidence: the official Sentinel Miro DCR uses it.
        "iff",
    ]
)

#: String operators the page lists (``matches regex`` included); any other string operator is refused.
STRING_OPERATORS = frozenset(
    [
        *("==", "!=", "=~", "!~"),
        *("contains", "!contains", "contains_cs", "!contains_cs"),
        *("has", "!has", "has_cs", "!has_cs"),
        *("startswith", "!startswith", "startswith_cs", "!startswith_cs"),
        *("endswith", "!endswith", "endswith_cs", "!endswith_cs"),
        *("matches regex", "in", "!in"),
    ]
)

MAX_PARSE_COLUMNS = 10

#: Tabular operators the page lists, by the grammar's name for them.
_TABULAR = {
    "ExtendOperator": "extend",
    "ProjectOperator": "project",
    "WhereOperator": "where",
    "ParseOperator": "parse",
    "ProjectAwayOperator": "project-away",
    "ProjectRenameOperator": "project-rename",
    "PrintOperator": "print",
}

#: Grammar constructs that are the pieces of what the page allows: statements, names, expressions of the
#: allowed scalar operators, literals. Anything else (``summarize``, ``join``, ``between``, ``toscalar``,
#: ``count()``, ``mv-expand``, tabular parameters...) is refused.
_PIECES = frozenset(
    {
        # statements and pipes
        "Top", "Query", "Statement", "QueryStatement", "Expression", "PipeExpression", "PipedOperator",
        "BeforePipeExpression", "AfterPipeOperator", "BeforeOrAfterPipeOperator",
        "LetStatement", "LetVariableDeclaration", "LetFunctionDeclaration", "LetFunctionParameterList",
        "LetFunctionBody", "LetFunctionBodyStatement", "ScalarParameter", "ScalarParameterDefault",
        # names
        "NameReferenceWithDataScope", "SimpleNameReference", "ExtendedNameReference", "IdentifierName",
        "KeywordName", "ExtendedKeywordName", "EscapedName", "IdentifierOrKeywordName",
        "IdentifierOrExtendedKeywordName", "IdentifierOrKeywordOrEscapedName",
        "IdentifierOrExtendedKeywordOrEscapedName", "ParameterName",
        "NamedExpression", "NamedExpressionNameClause", "NamedExpressionNameList", "UnnamedExpression",
        # operands of extend/project/where/parse/project-rename/project-away
        "ParseOperatorKindClause", "ParseOperatorFlagsClause", "ParseOperatorPattern", "ParseOperatorPatternSegment",
        "ParseOperatorNameAndOptionalType", "SimpleOrWildcardedNameReference", "WildcardedNameReference",
        "WildcardedName", "WildcardedNamePrefix", "WildcardedNameSegment",
        # scalar expressions
        "LogicalOrExpression", "LogicalOrOperation", "LogicalAndExpression", "LogicalAndOperation",
        "EqualityExpression", "EqualsEqualityExpression", "ListEqualityExpression", "EqualityExpressionTail",
        "RelationalExpression", "StringOperatorExpression", "StringBinaryOperatorExpression",
        "StringBinaryOperation", "StringBinaryOperator", "AdditiveExpression", "AdditiveOperation",
        "MultiplicativeExpression", "MultiplicativeOperation", "InvocationExpression", "FunctionCallExpression",
        "DotCompositeFunctionCallExpression",
        "NamedFunctionCallExpression", "ArgumentExpression", "FunctionCallOrPathExpression",
        "FunctionCallOrPathRoot", "FunctionCallOrPathPathExpression", "FunctionCallOrPathOperation",
        "FunctionCallOrPathPathOperation", "FunctionCallOrPathElementOperation", "PrimaryExpression",
        "ParenthesizedExpression",
        # literals and types
        "LiteralExpression", "StringLiteralExpression", "IntLiteralExpression", "LongLiteralExpression",
        "RealLiteralExpression", "DecimalLiteralExpression", "BooleanLiteralExpression",
        "DateTimeLiteralExpression", "TimeSpanLiteralExpression", "GuidLiteralExpression",
        "TypeLiteralExpression", "DynamicLiteralExpression", "NumberLikeLiteralExpression",
        "NumericLiteralExpression", "SignedLiteralExpression", "SignedLongLiteralExpression",
        "SignedRealLiteralExpression", "UnsignedLiteralExpression", "ScalarType", "ExtendedScalarType",
        "JsonValue", "JsonObject", "JsonPair", "JsonArray", "JsonBoolean", "JsonDateTime", "JsonGuid",
        "JsonLong", "JsonNull", "JsonReal", "JsonString", "JsonTimeSpan",
    }
)  # fmt: skip

#: Allowed only when the quirk says so.
_DATATABLE = frozenset({"DataTableExpression", "RowSchema", "RowSchemaColumnDeclaration"})


@dataclass(frozen=True)
class SubsetViolation:
    """A construct Azure does not accept in a transform, where it starts (1-based)."""

    line: int
    column: int
    construct: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason} at {self.line}:{self.column}"


def subset_violations(text: str, *, datatable: bool = False) -> list[SubsetViolation]:
    """What in ``text`` Azure's transform subset does not allow, in order of position.

    ``text`` should parse; text that does not parse yields nothing (the syntax check reports it).
    ``datatable``: whether the ``datatable`` operator is accepted (quirk ``transform_datatable``).
    """
    try:
        parsed = duckdb_kql.parse(text)
    except duckdb_kql.KqlSyntaxError:
        return []
    if not parsed.ok:
        return []
    declared = set(_declared_names(parsed.tree))
    found: list[SubsetViolation] = []
    allowed = _PIECES | _TABULAR.keys() | (_DATATABLE if datatable else frozenset())
    for node in _nodes(parsed.tree, stop=lambda n: _kind(n) not in allowed):
        kind = _kind(node)
        if kind == "TerminalNodeImpl":
            continue
        if kind not in allowed:
            word = _first_word(node)
            found.append(_at(node, word, f"'{word}' is not supported in transformations"))
        elif kind == "NamedFunctionCallExpression":
            name = _first_word(node)
            if name not in FUNCTIONS and name not in declared:
                found.append(_at(node, name, f"function '{name}' is not supported in transformations"))
        elif kind in ("StringBinaryOperation", "ListEqualityExpression", "EqualsEqualityExpression"):
            op = _operator(node)
            if op is not None and op not in STRING_OPERATORS and not op.startswith(("<", ">")):
                found.append(_at(node, op, f"operator '{op}' is not supported in transformations"))
        elif kind == "ParseOperator":
            count = sum(1 for n in _nodes(node) if _kind(n) == "ParseOperatorNameAndOptionalType")
            if count > MAX_PARSE_COLUMNS:
                found.append(
                    _at(node, "parse", f"parse extracts {count} columns; at most {MAX_PARSE_COLUMNS} are supported")
                )
        elif kind == "ScalarParameter" and any(_kind(n) == "TabularParameter" for n in _nodes(node)):
            found.append(_at(node, "let", "functions with tabular parameters are not supported in transformations"))
        if kind == "QueryStatement":
            source = _source(node)
            if source is not None and source not in ("source", "print", "datatable") and source not in declared:
                found.append(_at(node, source, f"'{source}' is not a supported source; only 'source' and 'print' are"))
    return sorted(found, key=lambda v: (v.line, v.column))


# --- the parse tree ---------------------------------------------------------------------------------------


def _kind(node: Any) -> str:
    return str(type(node).__name__).removesuffix("Context")


def _children(node: Any) -> list[Any]:
    count = node.getChildCount() if hasattr(node, "getChildCount") else 0
    return [node.getChild(i) for i in range(count)]


def _nodes(root: Any, stop: Callable[[Any], bool] | None = None) -> Iterator[Any]:
    """``root`` and its descendants in document order; not below a node for which ``stop`` is true."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if stop is None or _kind(node) == "TerminalNodeImpl" or not stop(node):
            stack.extend(reversed(_children(node)))


def _terminals(node: Any) -> Iterator[Any]:
    return (n for n in _nodes(node) if _kind(n) == "TerminalNodeImpl")


def _first_word(node: Any) -> str:
    first = next(_terminals(node), None)
    return str(first.getText()) if first is not None else _kind(node)


def _operator(node: Any) -> str | None:
    """The operator word of a comparison (``has``, ``in~``, ``matches regex``...), lower case."""
    for terminal in _terminals(node):
        text = str(terminal.getText()).lower()
        if text in ("(", ")"):
            continue
        return " ".join(text.split())
    return None


def _at(node: Any, construct: str, reason: str) -> SubsetViolation:
    token = node.symbol if _kind(node) == "TerminalNodeImpl" else node.start
    return SubsetViolation(token.line, token.column + 1, construct, reason)


def _declared_names(tree: Any) -> Iterator[str]:
    """Names bound by ``let`` (values, tabular values and functions)."""
    for node in _nodes(tree):
        if _kind(node) in ("LetVariableDeclaration", "LetFunctionDeclaration"):
            words = [str(t.getText()) for t in _terminals(node)]
            if len(words) > 1 and words[0] == "let":
                yield words[1]


def _source(statement: Any) -> str | None:
    """The first word of a query statement's tabular expression: its data source or its first operator."""
    node = statement
    while True:
        kids = [k for k in _children(node) if _kind(k) != "TerminalNodeImpl"]
        if _kind(node) == "PipeExpression" or len(kids) != 1:
            break
        node = kids[0]
    head = _children(node)[0] if _kind(node) == "PipeExpression" else node
    if any(_kind(n) == "PrintOperator" for n in _nodes(head)):
        return "print"
    if any(_kind(n) == "DataTableExpression" for n in _nodes(head)):
        return "datatable"
    return _first_word(head)
