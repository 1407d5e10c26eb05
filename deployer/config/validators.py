"""Checks of single setting values: each takes the value and returns a problem text, or None when it is valid."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], str | None]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Azure region names (``az account list-locations --query [].name``), physical and logical.
AZURE_LOCATIONS = frozenset(
    [
        "eastus",
        "eastus2",
        "southcentralus",
        "westus2",
        "westus3",
        "australiaeast",
        "southeastasia",
        "northeurope",
        "swedencentral",
        "uksouth",
        "westeurope",
        "centralus",
        "southafricanorth",
        "centralindia",
        "eastasia",
        "indonesiacentral",
        "japaneast",
        "japanwest",
        "koreacentral",
        "malaysiawest",
        "newzealandnorth",
        "canadacentral",
        "francecentral",
        "germanywestcentral",
        "italynorth",
        "norwayeast",
        "polandcentral",
        "spaincentral",
        "switzerlandnorth",
        "mexicocentral",
        "uaenorth",
        "brazilsouth",
        "chilecentral",
        "israelcentral",
        "qatarcentral",
        "centraluseuap",
        "eastus2euap",
        "northcentralus",
        "westus",
        "westcentralus",
        "southafricawest",
        "australiacentral",
        "australiacentral2",
        "australiasoutheast",
        "koreasouth",
        "southindia",
        "westindia",
        "canadaeast",
        "francesouth",
        "germanynorth",
        "norwaywest",
        "switzerlandwest",
        "ukwest",
        "uaecentral",
        "brazilsoutheast",
        "austriaeast",
        "belgiumcentral",
        "denmarkeast",
    ]
)


def guid(value: Any) -> str | None:
    """A GUID such as a tenant or subscription id."""
    return (
        None if _GUID.match(str(value)) else f"'{value}' is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
    )


def optional_guid(value: Any) -> str | None:
    """A GUID, or empty."""
    return None if value == "" else guid(value)


def location(value: Any) -> str | None:
    """An Azure region short name, suggesting the nearest one when it is not."""
    if value in AZURE_LOCATIONS:
        return None
    hint = difflib.get_close_matches(str(value).lower().replace(" ", ""), sorted(AZURE_LOCATIONS), n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else " (use the short name, e.g. westeurope)"
    return f"'{value}' is not an Azure location{suggestion}"


def pattern(regex: str, rule: str) -> Check:
    """A check that the whole value matches ``regex``; ``rule`` says in words what is allowed."""
    compiled = re.compile(regex)

    def check(value: Any) -> str | None:
        return None if compiled.fullmatch(str(value)) else f"'{value}' is not valid: {rule}"

    return check


def string_list(regex: str, rule: str, *, most: int = 100) -> Check:
    """A check that every item of a list matches ``regex`` (``rule`` says what is allowed), without repeats."""
    compiled = re.compile(regex)

    def check(value: Any) -> str | None:
        if len(value) > most:
            return f"has {len(value)} items; at most {most}"
        for item in value:
            if not compiled.fullmatch(str(item)):
                return f"'{item}' is not valid: {rule}"
        if len(set(value)) != len(value):
            return "lists an item twice"
        return None

    return check


def optional(check: Check) -> Check:
    """``check``, except that empty passes."""

    def wrapped(value: Any) -> str | None:
        return None if value == "" else check(value)

    return wrapped


def choice(*options: str) -> Check:
    """A check that the value is one of ``options``, suggesting the nearest one when it is not."""

    def check(value: Any) -> str | None:
        if value in options:
            return None
        hint = difflib.get_close_matches(str(value), options, n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"'{value}' is not one of {', '.join(options)}{extra}"

    return check


def in_range(low: float, high: float, *, also: tuple[float, ...] = ()) -> Check:
    """A check that the number lies in ``low..high`` or is one of ``also`` (such as -1 for 'default')."""

    def check(value: Any) -> str | None:
        if value in also or low <= value <= high:
            return None
        extra = f" (or {', '.join(str(a) for a in also)})" if also else ""
        return f"{value} is out of range: {low:g} to {high:g}{extra}"

    return check


def https_url(value: Any) -> str | None:
    """An https:// URL without spaces or quotes."""
    return (
        None if re.fullmatch(r"https://[^\s/\"\\]+(/[^\s\"\\]*)?", str(value)) else f"'{value}' must be an https:// URL"
    )


# Azure's naming rules for the resources we name.
RESOURCE_GROUP = pattern(
    r"[-\w._()]{0,89}[-\w_()]", "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'"
)
WORKSPACE = pattern(
    r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]", "4-63 letters, digits or hyphens, starting and ending alphanumeric"
)
DCE = pattern(
    r"[A-Za-z0-9][A-Za-z0-9-]{1,42}[A-Za-z0-9]", "3-44 letters, digits or hyphens, starting and ending alphanumeric"
)
DCR = pattern(
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-]", "2-64 letters, digits, '-', '_' or '.', not ending with '.'"
)
CONNECTOR = pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}", "2-64 letters, digits, '-' or '_', starting alphanumeric")
TABLE = pattern(
    r"[A-Za-z][A-Za-z0-9_]{0,59}_CL", "letters, digits and underscores, starting with a letter, ending with _CL"
)
STORAGE = pattern(r"[a-z0-9]{3,24}", "3-24 lower-case letters or digits")
CONTAINER = pattern(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", "3-63 lower-case letters, digits or single hyphens")
STATE_KEY = pattern(r"[A-Za-z0-9._/-]{1,200}\.tfstate", "a blob name ending in .tfstate")
KEYVAULT_SECRET = pattern(
    r"https://[a-z0-9-]{3,24}\.vault\.azure\.(net|cn|us)/secrets/[A-Za-z0-9-]{1,127}(/[0-9a-f]{32})?",
    "https://<vault>.vault.azure.net/secrets/<name>[/<version>]",
)
ENV_VAR = pattern(r"[A-Z_][A-Z0-9_]*", "an environment variable name (upper-case letters, digits, '_')")
_TAG_KEY = re.compile(r"[^<>%&\\?/]{1,512}")


#: Azure allows 50 tags on a resource; the DCR also carries ``managed-by`` and the token version.
MAX_TAGS = 48


def tag_map(value: Any) -> str | None:
    """Azure resource tags: at most :data:`MAX_TAGS`, names without ``<>%&\\?/``, values of at most 256 characters."""
    if len(value) > MAX_TAGS:
        return (
            f"{len(value)} tags are too many: at most {MAX_TAGS} (Azure allows 50 on a resource, "
            "and miro-sentinel adds managed-by and the token version)"
        )
    for key, val in value.items():
        if not _TAG_KEY.fullmatch(key):
            return f"tag name '{key}' is not valid (1-512 characters, none of < > % & \\ ? /)"
        if len(str(val)) > 256:
            return f"tag '{key}' has a value longer than 256 characters"
    return None
