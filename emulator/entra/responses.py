"""Entra's HTTP surface: parse the form, call the directory and issuer, shape the answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from emulator.core.http import Call, Reply
from emulator.entra import errors
from emulator.entra.models import USER, Directory, TokenIssuer

__all__ = ["EntraResponses"]


class EntraResponses:
    def __init__(self, directory: Directory, issuer: TokenIssuer) -> None:
        self.directory = directory
        self.issuer = issuer

    def _tenant(self, call: Call) -> str:
        tenant = call.params["tenant"]
        if tenant.lower() not in (self.issuer.identity.tenant_id, "organizations"):
            raise errors.tenant_not_found(tenant)
        return self.issuer.identity.tenant_id

    def openid_configuration(self, call: Call) -> Reply:
        tenant = self._tenant(call)
        base = f"{call.base_url}/{tenant}"
        body: dict[str, Any] = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "local",
        }
        return Reply(200, body)

    def keys(self, call: Call) -> Reply:
        self._tenant(call)
        return Reply(200, self.issuer.jwks())

    def token(self, call: Call) -> Reply:
        tenant = self._tenant(call)
        form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise errors.invalid_request("The request body must contain the following parameter: 'grant_type'.")
        if grant_type == "password":
            return self._password_grant(form, tenant)
        if grant_type != "client_credentials":
            raise errors.unsupported_grant_type(grant_type)
        client_id = form.get("client_id", "")
        if not client_id:
            raise errors.invalid_request("The request body must contain the following parameter: 'client_id'.")
        principal = self.directory.by_client_id(client_id)
        if principal is None:
            raise errors.unknown_client(client_id, tenant)
        secret = form.get("client_secret")
        if secret is None:
            raise errors.invalid_request(
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                code=7000218,
            )
        if not principal.accepts(secret):
            raise errors.invalid_client_secret(client_id)
        audience = self.issuer.audience_for_scope(form.get("scope", ""), tenant)
        return Reply(200, self.issuer.issue(principal, audience))

    def _password_grant(self, form: dict[str, str], tenant: str) -> Reply:
        """A user signing in with user name and password through a public client (ROPC, as ``az login -u``)."""
        for field in ("client_id", "username", "password"):
            if not form.get(field):
                raise errors.invalid_request(f"The request body must contain the following parameter: '{field}'.")
        user = self.directory.by_user_name(form["username"])
        if user is None or user.kind != USER or not user.accepts(form["password"]):
            raise errors.invalid_user_password()
        audience = self.issuer.audience_for_scope(form.get("scope", ""), tenant)
        return Reply(200, self.issuer.issue(user, audience, public_client=form["client_id"]))
