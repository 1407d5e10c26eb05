"""Is this Miro token fit for the connector? Token info, then one audit-log call over one minute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from deployer.errors import MiroAccessDenied
from deployer.miro.client import MiroClient, RateLimit

__all__ = ["REQUIRED_SCOPE", "TokenCheck", "check_token"]

REQUIRED_SCOPE = "auditlogs:read"


@dataclass(frozen=True)
class TokenCheck:
    """What the token can do, for the report. Never holds the token."""

    organization_id: str
    organization_name: str
    user_name: str
    scopes: tuple[str, ...] | None
    events_last_minute: int
    rate_limit: RateLimit


def check_token(client: MiroClient, *, now: dt.datetime | None = None) -> TokenCheck:
    """Classify the token: valid, or the precise reason it is not.

    :raises MiroTokenInvalid: 401, wrong or revoked token.
    :raises MiroAccessDenied: the token lacks ``auditlogs:read``, or Miro refuses the audit log (not an
        Enterprise organisation, or not issued by a Company Admin).
    :raises MiroRateLimited: 429 beyond the retry budget. :raises MiroUnavailable: Miro is down or unreachable.
    """
    info = client.get_token_info()
    if info.scopes is not None and REQUIRED_SCOPE not in info.scopes:
        have = ", ".join(info.scopes) or "none"
        raise MiroAccessDenied(
            f"the Miro token lacks the {REQUIRED_SCOPE} scope (it has: {have})",
            remedy="use the SIEM token (Company Settings > Enterprise integrations), or an OAuth app token with auditlogs:read",
            status_code=None,
            error_code="missingScope",
        )
    end = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    try:
        page = client.get_audit_logs_page(created_after=end - dt.timedelta(minutes=1), created_before=end, limit=1)
    except MiroAccessDenied as exc:
        raise MiroAccessDenied(
            f"{exc.message}: the token works, but Miro refuses its audit log; the organisation is not on the "
            "Enterprise plan, or the token was not issued by a Company Admin",
            remedy="audit logs need the Enterprise plan; ask a Company Admin to enable the SIEM integration and share its token",
            status_code=exc.status_code,
            error_code=exc.error_code,
            request_id=exc.request_id,
        ) from exc
    return TokenCheck(
        organization_id=info.organization_id,
        organization_name=info.organization_name,
        user_name=info.user_name,
        scopes=info.scopes,
        events_last_minute=len(page.events),
        rate_limit=page.rate_limit,
    )
