"""`make demo`, second half: against the running local cloud, plant a burst of failed Miro sign-ins and show
the Sentinel alert our analytics rule raises for it.

Usage: python scripts/demo_attack.py STATE_DIR [--office-hours]  (the state directory of a running `emulator serve`;
with --office-hours it only makes the local Miro's people keep office hours, before the deploy)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import requests

from deployer.azure.cloud import AzureCloud
from deployer.azure.credentials import client_secret_credential
from deployer.azure.query import QueryClient
from emulator.ready import ServerRecord

VICTIM = "victim@example.com"


def main(state_dir: Path, *, office_hours: bool = False) -> int:
    record = ServerRecord.read(state_dir)
    if record is None:
        print(f"error: no local cloud serves {state_dir}", file=sys.stderr)
        return 2
    ready = record.ready

    def control(method: str, path: str, body: object = None) -> dict[str, object]:
        answer = requests.request(
            method,
            ready.control_endpoint + path,
            json=body,
            headers=ready.control_headers(),
            verify=ready.ca_cert,
            timeout=600,
        )
        answer.raise_for_status()
        return dict(answer.json()) if answer.content else {}

    if office_hours:
        control("PATCH", "/miro/settings", {"office_hours": True})
        return 0
    now = dt.datetime.fromisoformat(str(control("GET", "/clock")["now"]))
    start = now + dt.timedelta(minutes=2)
    ips = ["203.0.113.201", "203.0.113.202", "203.0.113.203"]
    events = []
    for i in range(6):
        at = start + dt.timedelta(seconds=40 * i)
        events.append(
            {
                "createdAt": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000",
                "event": "sign_in_failed",
                "category": "authentication",
                "context": {
                    "ip": ips[i % 3],
                    "organization": {"id": "3458764500000000000", "name": "Example Organization"},
                },
                "createdBy": {"type": "user", "id": "3458764599999999999", "name": "Victim", "email": VICTIM},
                "details": {"authType": "PASSWORD", "reason": "INVALID_PASSWORD"},
            }
        )
    control("POST", "/miro/events", {"events": events})
    print(f"planted: 6 failed Miro sign-ins for {VICTIM} from 3 addresses, starting {start:%H:%M} (virtual time)")
    print("letting 45 minutes pass: the connector collects them, the analytics rules run ...")
    control("POST", "/clock/advance", {"seconds": 45 * 60, "step_seconds": 300})

    cloud = AzureCloud(
        arm_endpoint=ready.arm_endpoint,
        query_endpoint=ready.query_endpoint,
        authority=ready.authority,
        ca_bundle=ready.ca_cert,
    )
    credential = client_secret_credential(
        cloud, tenant_id=ready.tenant_id, client_id=ready.client_id, client_secret=ready.client_secret
    )
    with QueryClient(credential, cloud, ready.workspace_customer_id) as query:
        alerts = query.query(
            "SecurityAlert | where ProviderName == 'ASI Scheduled Alerts' | sort by TimeGenerated asc", timespan=None
        )
    print(f"alerts in Sentinel (SecurityAlert): {len(alerts)}")
    for alert in alerts:
        entities = ", ".join(
            f"{e['Type']} {next(v for k, v in e.items() if k not in ('$id', 'Type'))}"
            for e in json.loads(str(alert["Entities"]))
        )
        print(f"  [{alert['AlertSeverity']}] {alert['DisplayName']} ({entities})")
        if alert.get("RemediationSteps"):
            print(f"    remedy: {json.loads(str(alert['RemediationSteps']))[0]}")
    return 0 if any(VICTIM in str(a["Entities"]) for a in alerts) else 1


if __name__ == "__main__":
    sys.exit(
        main(
            Path(sys.argv[1] if len(sys.argv) > 1 else ".miro-sentinel/demo"), office_hours="--office-hours" in sys.argv
        )
    )
