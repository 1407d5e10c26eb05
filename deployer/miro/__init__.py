"""Miro's REST API: token info and audit log pages (the one module that talks to Miro)."""

from deployer.miro.client import AuditPage, MiroClient, RateLimit, TokenInfo

__all__ = ["AuditPage", "MiroClient", "RateLimit", "TokenInfo"]
