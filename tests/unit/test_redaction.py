"""The one redactor: a registered secret in any of its travelling forms, and secret-shaped values, are masked."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from deployer.redaction import MASK, Redactor

TOKEN = "canary-mid\n-1234"
EURO = "canary-€-5678"


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.register(TOKEN)
    r.register(EURO)
    return r


@pytest.mark.parametrize(
    "text",
    [
        f"error: {TOKEN}",
        f"header value: 'Bearer {TOKEN!r}'",
        f"InvalidHeader: ... {'Bearer ' + TOKEN!r}",
        json.dumps({"token": TOKEN, "other": 1}),
        json.dumps({"t": EURO}),
        json.dumps({"t": EURO}, ensure_ascii=False),
        f"https://example/?x={urllib.parse.quote(TOKEN, safe='')}",
        f"form: x={urllib.parse.quote_plus(EURO)}",
        base64.b64encode(TOKEN.encode()).decode(),
        base64.b64encode(b"user:" + TOKEN.encode()).decode(),
        base64.b64encode(b"us:" + TOKEN.encode()).decode(),
        base64.urlsafe_b64encode(b"u:" + EURO.encode()).decode(),
    ],
    ids=[
        "plain",
        "repr inside quotes",
        "repr of the header",
        "json",
        "json escaped non-ascii",
        "json raw non-ascii",
        "url-encoded",
        "form-encoded",
        "base64",
        "base64 after 5 bytes",
        "base64 after 3 bytes",
        "urlsafe base64 after 2 bytes",
    ],
)
def test_a_registered_secret_is_masked_in_every_form_it_travels_in(redactor: Redactor, text: str) -> None:
    shown = redactor.redact(text)
    assert "canary" not in shown
    for form in (TOKEN, repr(TOKEN)[1:-1], urllib.parse.quote(TOKEN, safe=""), urllib.parse.quote_plus(EURO)):
        assert form not in shown
    assert base64.b64encode(TOKEN.encode()).decode()[:12] not in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{'Authorization': 'Bearer abc.def', 'Accept': 'json'}", f"{{'Authorization': '{MASK}', 'Accept': 'json'}}"),
        ('{"APIKey": "Bearer {{AccessToken}}"}', f'{{"APIKey": "{MASK}"}}'),
        ("Authorization: Bearer zzz\nnext", f"Authorization: {MASK}\nnext"),
        ("Ocp-Apim-Subscription-Key: 0123abcd", f"Ocp-Apim-Subscription-Key: {MASK}"),
        ("x-api-key=k1k2k3", f"x-api-key={MASK}"),
        (
            "grant_type=client_credentials&client_secret=s3cr3t&scope=x",
            f"grant_type=client_credentials&client_secret={MASK}&scope=x",
        ),
        ('{"client_secret": "s3cr3t"}', f'{{"client_secret": "{MASK}"}}'),
        ("sent Bearer eyJ0eXAi.payload.sig to the API", f"sent Bearer {MASK} to the API"),
        (
            "https://acct.blob.core.windows.net/c/b?sv=2021&sig=abc%2Fdef",
            f"https://acct.blob.core.windows.net/c/b?sv=2021&sig={MASK}",
        ),
    ],
    ids=[
        "header map",
        "ccf api key",
        "header line",
        "apim key",
        "api key param",
        "form secret",
        "json secret",
        "bearer",
        "sas",
    ],
)
def test_secret_shaped_values_are_masked_whatever_their_origin(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Miro refused the token (401 unauthorized): it is wrong, revoked or expired",
        "MIRO_ACCESS_TOKEN: miro.token: contains a line break (character 11)",
        "next_page_token=abc design=x token_version=2",
        "Authorization failed for the request",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_short_values_are_not_masked_by_value_so_words_survive() -> None:
    r = Redactor()
    r.register("abc")
    assert r.redact("abc def") == "abc def"


def test_data_is_redacted_keys_and_values() -> None:
    r = Redactor()
    r.register(TOKEN)
    assert r.redact_data({"a": [TOKEN, 1, None], TOKEN: {"b": f"x {TOKEN}"}}) == {
        "a": [MASK, 1, None],
        MASK: {"b": f"x {MASK}"},
    }
