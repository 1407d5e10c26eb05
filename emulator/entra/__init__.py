"""Entra ID (Azure AD): OpenID metadata, the client-credentials token endpoint, and token checks."""
