"""One running local cloud: its state directory, clock, store, and the backends of every service.

The backends are the models of the services (moto's "backends"): the Entra directory and token
issuer, the ARM resource registry and its rules, the Log Analytics tables, the DCR metrics, and the
ingestion pipeline. Services read and change state only through them. Extensions (part 2) can keep
their own backend on the cloud with :meth:`Cloud.backend`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from emulator.arm.models import ArmBackend
from emulator.clock import VirtualClock
from emulator.core.faults import FaultRegistry
from emulator.core.requestlog import RequestLog
from emulator.entra.models import Directory, TokenIssuer
from emulator.identity import Identity, IdFactory
from emulator.ingestion.models import IngestionBackend
from emulator.ingestion.pipeline import Pipeline
from emulator.logstore import LogStore
from emulator.metrics import MetricStore
from emulator.quirks import Quirks
from emulator.ready import ReadyInfo
from emulator.sealed import SecretBox
from emulator.statedir import ensure_private_dir
from emulator.store import Store

__all__ = ["Cloud", "Settings"]

_log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Settings:
    """Behaviour that tests and the demo tune at start or at runtime (control API ``/_emulator/settings``).

    Durations are *virtual* seconds (they pass ``time_scale`` times faster than real ones), except
    ``token_lifetime_seconds``, which is real (see :mod:`emulator.entra.models`).
    """

    #: How long a new role assignment takes to be honoured (Azure: up to 30 minutes for ingestion).
    role_propagation_seconds: float = 0.0
    #: How long after ingestion rows become visible to queries (Azure: up to 15 minutes the first time).
    ingestion_latency_seconds: float = 0.0
    #: Per-DCR limits of the Logs Ingestion API per (virtual) minute.
    ingestion_requests_per_minute: int = 12_000
    ingestion_bytes_per_minute: int = 2 * 1024**3
    #: Largest request body the Logs Ingestion API accepts (bytes as sent, i.e. compressed when gzipped).
    ingestion_max_body_bytes: int = 1_048_576
    #: Lifetime of the access tokens the token endpoint issues (real seconds).
    token_lifetime_seconds: int = 3599

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (field name -> value); raises ``ValueError`` for unknown fields or bad values."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
        for name, value in changes.items():
            kind = int if fields[name].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
            setattr(self, name, kind(value))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Cloud:
    """The state and backends of one local cloud, rooted in ``state_dir``.

    :param base_url: where the cloud is served (``https://127.0.0.1:PORT``); endpoints in responses use it.
    :param time_scale: virtual seconds per real second (see :mod:`emulator.clock`).
    :param seed: makes generated ids reproducible.
    :param quirks: variants of Azure's open questions chosen at start (:mod:`emulator.quirks`).
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        base_url: str,
        time_scale: float = 1.0,
        seed: int | None = None,
        settings: Settings | None = None,
        ca_cert: Path | None = None,
        bound: tuple[str, int] | None = None,
        quirks: Mapping[str, str] | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.base_url = base_url
        self.ca_cert = ca_cert
        #: The address and port the server's socket is bound to (the ready line tells them).
        self.bound = bound or ("127.0.0.1", 0)
        #: The bearer token of the control API, new at every start (ready line, ``server.json``).
        self.control_token = secrets.token_urlsafe(32)
        ensure_private_dir(state_dir)
        self.store = Store(state_dir / "cloud.duckdb")
        try:
            self.quirks = Quirks(quirks)
            self.quirks.on_change(self._quirk_changed)
            self._quirk_changed("todatetime_colonless_offset", self.quirks["todatetime_colonless_offset"])
            #: Seals what must be kept in clear-text form (the seeded client's secret, connector keys).
            self.secret_box = SecretBox(state_dir / "secrets.key")
            self.identity = Identity.load_or_create(self.store, self.secret_box, seed=seed)
            self.ids = IdFactory(self.store, seed=seed)
            self.clock = VirtualClock(time_scale=time_scale, start_at=self._persisted_time())
            self.initial_settings = dataclasses.replace(settings or Settings())
            self.settings = dataclasses.replace(self.initial_settings)
            self.faults = FaultRegistry()
            self.requests = RequestLog()
            self.directory = Directory(self.store, self.identity)
            self.tokens = TokenIssuer(state_dir / "token-signing-key.pem", self.identity, self.directory)
            self.tokens.lifetime_seconds = self.settings.token_lifetime_seconds
            #: Held while a Log Analytics table's shape changes or rows are written into it.
            self.schema_lock = threading.RLock()
            self.logs = LogStore(self)
            self.metrics = MetricStore(self.store)
            self.arm = ArmBackend(self)
            self.ingestion = IngestionBackend(self)
            self.pipeline = Pipeline(self)
        except BaseException:
            self.store.close()
            raise
        self._backends: dict[str, Any] = {}
        #: Set while :meth:`step` moves the clock: background work then runs only when a step settles.
        self.stepping = threading.Event()

    def start(self) -> None:
        """Start background work: the ingestion pipeline, and extension backends that have ``start()``."""
        self.pipeline.start()
        self._call_backends("start")

    def quiesce(self) -> None:
        """Stop background work that calls the cloud's own endpoints (part 2: the CCF pollers)."""
        self._call_backends("quiesce")

    def close(self) -> None:
        """Stop background work, process the records still staged, remember the virtual time, close the store."""
        self.quiesce()
        self.pipeline.stop()
        self.pipeline.flush()
        self._call_backends("close")
        self.store.put_document("meta", "clock", self.clock.now().isoformat())
        self.store.close()

    def reset(self) -> None:
        """Back to a fresh cloud with the same identity: seeded resources only, no rows, no faults."""
        self.quiesce()  # the CCF pollers stop before the state goes
        self.pipeline.flush()
        self.faults.clear()
        self.requests.clear()
        self.quirks.reset()
        self.settings = dataclasses.replace(self.initial_settings)
        self.tokens.lifetime_seconds = self.settings.token_lifetime_seconds
        self.directory.reset()
        self.metrics.reset()
        self.ingestion.reset()
        self.arm.reset()
        self._call_backends("reset")

    def _quirk_changed(self, name: str, variant: str) -> None:
        if name == "todatetime_colonless_offset":
            self.store.set_colonless_offsets(variant)

    def step(self, seconds: float, step_seconds: float) -> dt.datetime:
        """Move the clock ``seconds`` ahead in steps of ``step_seconds``, settling after each step.

        A discrete-event run of the cloud: after each step every backend catches up with the new time
        (:meth:`settle`) before the next, so a day passes in as many steps as asked, each as it would
        have passed in real time, without waiting for it.
        """
        if step_seconds <= 0:
            raise ValueError("step_seconds must be > 0")
        self.stepping.set()
        try:
            remaining = seconds
            while remaining > 0:
                moved = min(step_seconds, remaining)
                self.clock.advance(moved)
                remaining -= moved
                self.settle()
        finally:
            self.stepping.clear()
        return self.clock.now()

    def settle(self) -> None:
        """Let every backend catch up with the clock: pollers fetch what is due, then rules and alerts run."""
        self.pipeline.flush()
        self._call_backends("settle")

    def _call_backends(self, hook: str) -> None:
        """Call ``hook()`` on every extension backend that has it."""
        for backend in self._backends.values():
            method = getattr(backend, hook, None)
            if callable(method):
                method()

    def ready_info(self) -> ReadyInfo:
        """What a client needs to use this cloud (the ``serve`` command's ready line)."""
        i = self.identity
        info: dict[str, Any] = {
            "arm_endpoint": self.base_url,
            "authority": self.base_url,
            "tenant_id": i.tenant_id,
            "client_id": i.client_id,
            "client_secret": i.client_secret,
            "principal_object_id": i.principal_object_id,
            "subscription_id": i.subscription_id,
            "resource_group": i.resource_group,
            "location": i.location,
            "workspace_name": i.workspace_name,
            "workspace_resource_id": i.workspace_resource_id,
            "workspace_customer_id": i.workspace_customer_id,
            "query_endpoint": self.base_url,
            "ingestion_endpoint": self.base_url,
            "ca_cert": str(self.ca_cert or ""),
            "control_endpoint": f"{self.base_url}/_emulator",
            "control_token": self.control_token,
            "state_dir": str(self.state_dir),
            "time_scale": self.clock.time_scale,
            "bound_host": self.bound[0],
            "bound_port": self.bound[1],
        }
        for backend in self._backends.values():
            extra = getattr(backend, "ready_info", None)  # part 2: miro_base_url, miro_token
            if callable(extra):
                info.update(extra())
        return ReadyInfo.from_dict(info)

    def apply_settings(self, changes: dict[str, Any]) -> None:
        self.settings.update(changes)
        self.tokens.lifetime_seconds = self.settings.token_lifetime_seconds

    def backend(self, name: str, factory: Callable[[Cloud], T]) -> T:
        """The extension backend ``name``, created by ``factory(cloud)`` on first use.

        A backend may have ``start()`` (called when the server is up), ``quiesce()`` and ``reset()`` (the
        control API's reset: before and after the rest is reset), ``close()`` (before the store closes),
        ``settle()`` (catch up with the clock; called in creation order, so pollers come before the rules
        that read what they fetched) and ``ready_info()`` (keys it adds to the ready line).
        """
        if name not in self._backends:
            self._backends[name] = factory(self)
        backend: T = self._backends[name]
        return backend

    def _persisted_time(self) -> dt.datetime | None:
        kept = self.store.document("meta", "clock")
        return dt.datetime.fromisoformat(kept) if isinstance(kept, str) else None
