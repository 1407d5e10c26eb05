"""The codeless connector framework at work in the local cloud: one poller thread per RestApiPoller.

Every connector created through ARM gets a :class:`~emulator.ccf.poller.WindowPoller` whose windows
start at the connector's creation (virtual time, whole seconds). Its thread sleeps until the current
window is due on the virtual clock (so a time scale of 600 runs a 5-minute window every half second),
fetches it over real HTTPS with the cloud's CA, and sends the events through the cloud's Logs
Ingestion path (stream declaration, DCR transform, table; DCR metrics counted), as Sentinel's
service identity. Every fetch writes a ``SentinelHealth`` row in the connector's workspace.

Progress is kept in the state store (``ccf.state``), so a restarted cloud resumes each connector at
the page it had reached. An inactive connector (``isActive`` false or absent) keeps its place and
resumes where it stopped when it is made active again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from emulator.ccf.config import ConfigRefused, DcrTarget, read_poller_config
from emulator.ccf.health import LogStoreHealthSink
from emulator.ccf.http import RequestsSender
from emulator.ccf.poller import ConnectorIdentity, IngestFailed, PollerSettings, PollState, WindowPoller
from emulator.core.auth import Principal
from emulator.core.errors import EmulatorError
from emulator.sentinel.models import SENTINEL_APP_ID
from emulator.sentinel.urls import backend as sentinel_backend

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["CcfBackend", "CloudIngestor"]

_log = logging.getLogger(__name__)

_STATE = "ccf.state"
#: How often an idle worker looks again (real seconds), so changes are never missed for long.
_IDLE_REAL_SECONDS = 0.5
#: The Logs Ingestion API's limit on one call; a page is sent in calls below it.
_MAX_CALL_BYTES = 1_000_000


class CloudIngestor:
    """Sends a connector's events through the cloud's Logs Ingestion path, as Sentinel's identity."""

    def __init__(self, cloud: Cloud, target: DcrTarget, principal: Principal) -> None:
        self._cloud = cloud
        self._target = target
        self._principal = principal

    def ingest(self, events: list[dict[str, Any]]) -> None:
        for body in _chunks(events):
            try:
                self._cloud.ingestion.upload(
                    immutable_id=self._target.rule_immutable_id,
                    stream=self._target.stream,
                    body=body,
                    content_encoding=None,
                    api_version="2023-01-01",
                    authenticate=lambda: self._principal,
                )
            except EmulatorError as exc:
                raise IngestFailed(f"the Logs Ingestion API answered {exc.status} {exc.code}: {_message(exc)}") from exc

    def destination_table(self) -> str | None:
        try:
            compiled = self._cloud.arm.rules.compiled(self._target.rule_immutable_id)
        except EmulatorError:
            return None
        flows = compiled.flows_for(self._target.stream) if compiled is not None else []
        return flows[0].table if flows else None


def _chunks(events: list[dict[str, Any]]) -> list[bytes]:
    """JSON arrays of ``events``, each under the ingestion limit (a page normally fits in one)."""
    encoded = [json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode("utf-8") for e in events]
    chunks: list[bytes] = []
    current: list[bytes] = []
    size = 2
    for item in encoded:
        if current and size + len(item) + 1 > _MAX_CALL_BYTES:
            chunks.append(b"[" + b",".join(current) + b"]")
            current, size = [], 2
        current.append(item)
        size += len(item) + 1
    if current:
        chunks.append(b"[" + b",".join(current) + b"]")
    return chunks


def _message(exc: EmulatorError) -> str:
    body = exc.reply.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))
    return ""


class _Worker:
    """The thread that polls one connector."""

    def __init__(self, backend: CcfBackend, connector_id: str) -> None:
        self.backend = backend
        self.connector_id = connector_id
        self.changed = threading.Event()
        #: Set to make an idle worker look again at once (a change, the clock jumped, a settle).
        self.wake = threading.Event()
        self.stopping = threading.Event()
        #: Set to cut a wait short (stop, pause).
        self.interrupt = threading.Event()
        #: Held while the poller fetches: :meth:`CcfBackend.pause` waits for it.
        self.busy = threading.Lock()
        self.poller: WindowPoller | None = None
        self.sender = RequestsSender(backend.cloud.ca_cert)
        self.problem: str | None = None
        self.thread = threading.Thread(target=self._run, name=f"ccf-{connector_id.rsplit('/', 1)[-1]}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.interrupt.set()
        self.changed.set()
        self.wake.set()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=30)

    def _sleep(self, virtual_seconds: float) -> bool:
        """Wait on the virtual clock; ``False`` when the worker must stop or the pollers are paused."""
        self.interrupt.wait(self.backend.cloud.clock.real_seconds(virtual_seconds))
        return self._keep_going()

    def _keep_going(self) -> bool:
        return not self.stopping.is_set() and not self.backend.paused.is_set()

    def idle(self) -> bool:
        """Nothing due and nothing in flight: every window that has ended was fetched (or waits for its retry)."""
        if self.busy.locked() or self.wake.is_set() or self.changed.is_set():
            return False
        poller = self.poller
        if poller is None or not poller.config.is_active:
            return True
        return poller.next_due() > self.backend.cloud.clock.now()

    def _run(self) -> None:
        clock = self.backend.cloud.clock
        while not self.stopping.is_set():
            self.wake.clear()
            if self.poller is None or self.changed.is_set():
                self.changed.clear()
                self.poller = self.backend.build_poller(self.connector_id, self._sleep, self)
            wait = _IDLE_REAL_SECONDS
            if self.poller is not None and self.poller.config.is_active and self._keep_going():
                with self.busy:
                    try:
                        self.poller.poll_due()
                    except Exception:
                        _log.exception("the poller of %s failed; it will try again", self.connector_id)
                        self.poller = None
                    finally:
                        self.sender.close()
                if self.poller is not None:
                    until_due = (self.poller.next_due() - clock.now()).total_seconds()
                    wait = min(max(clock.real_seconds(until_due), 0.0), _IDLE_REAL_SECONDS)
            if wait > 0:
                self.wake.wait(wait)


class CcfBackend:
    """The pollers of every RestApiPoller connector in the cloud, and their shared settings."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.settings = PollerSettings()
        self._sentinel = sentinel_backend(cloud)
        self._sentinel.listeners.append(self.connector_changed)
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._started = False
        #: Set while the pollers are paused (control API): nothing is fetched, progress stays put.
        self.paused = threading.Event()
        cloud.clock.on_advance(self.wake_all)
        self.principal = Principal(
            object_id=SENTINEL_APP_ID,
            app_id=SENTINEL_APP_ID,
            tenant_id=cloud.identity.tenant_id,
            audience="https://monitor.azure.com",
        )

    # --- life cycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start a poller thread for every connector already there (after a restart)."""
        with self._lock:
            self._started = True
        for connector in self._sentinel.connectors():
            self.connector_changed(connector.id, False)

    def close(self) -> None:
        with self._lock:
            self._started = False
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()

    def quiesce(self) -> None:
        """Stop every poller thread (before the cloud's reset takes the state away)."""
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()

    def reset(self) -> None:
        """Forget every poller's progress and settings (the connectors are gone with ARM's reset)."""
        self.quiesce()
        self.paused.clear()
        self.cloud.store.clear_documents(_STATE)
        self.settings = PollerSettings()

    def pause(self) -> None:
        """Stop fetching and return once no poller is in the middle of a fetch (state is then stable)."""
        self.paused.set()
        workers = self._current_workers()
        for worker in workers:
            worker.interrupt.set()
        for worker in workers:
            with worker.busy:
                pass

    def resume(self) -> None:
        self.paused.clear()
        for worker in self._current_workers():
            worker.interrupt.clear()
            worker.changed.set()
            worker.wake.set()

    def wake_all(self) -> None:
        """Make every worker look at once whether a window is due (the clock jumped)."""
        for worker in self._current_workers():
            worker.wake.set()

    def settle(self, timeout: float = 120.0) -> None:
        """Return once every active connector has fetched each window that has ended (or waits to retry one).

        Used while the clock is stepped (control API ``/clock/advance`` with ``step_seconds``), so that what
        runs next (analytics rules) sees what the connectors would have collected by then. Returns at once
        while the pollers are paused.
        """
        self.wake_all()
        deadline = time.monotonic() + timeout
        while not self.paused.is_set() and time.monotonic() < deadline:
            if all(worker.idle() for worker in self._current_workers()):
                return
            time.sleep(0.002)
        if not self.paused.is_set():
            _log.warning("the pollers did not settle within %.0f s", timeout)

    def _current_workers(self) -> list[_Worker]:
        with self._lock:
            return list(self._workers.values())

    def apply_settings(self, changes: dict[str, Any]) -> PollerSettings:
        """Change the pollers' settings; raises ``ValueError`` for unknown fields or bad values."""
        fields = {f.name for f in dataclasses.fields(PollerSettings)}
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
        self.settings = dataclasses.replace(self.settings, **{k: float(v) for k, v in changes.items()})
        for worker in self._current_workers():
            worker.changed.set()
            worker.wake.set()
        return self.settings

    # --- connectors -----------------------------------------------------------------------------------

    def connector_changed(self, connector_id: str, deleted: bool) -> None:
        """A connector was created, changed or deleted through ARM."""
        key = connector_id.lower()
        if deleted:
            with self._lock:
                worker = self._workers.pop(key, None)
            if worker is not None:
                worker.stop()
            self.cloud.store.delete_document(_STATE, key)
            return
        if self.cloud.store.document(_STATE, key) is None:
            # Windows start at the connector's creation, on a whole second.
            created = _micros(self.cloud.clock.now().replace(microsecond=0))
            self._save(connector_id, PollState(window_start_us=created, origin_us=created))
        with self._lock:
            if not self._started:
                return
            worker = self._workers.get(key)
            if worker is None:
                worker = self._workers[key] = _Worker(self, connector_id)
                worker.start()
                return
        worker.changed.set()
        worker.wake.set()

    def build_poller(self, connector_id: str, sleep: Any, worker: _Worker) -> WindowPoller | None:
        """A poller for the connector as it is now (``None`` when it is gone or cannot be polled)."""
        connector = self._sentinel.connector(connector_id)
        props = self._sentinel.connector_properties(connector_id)
        workspace = self._sentinel.workspace_of(connector_id)
        kept = self.cloud.store.document(_STATE, connector_id.lower())
        if connector is None or props is None or workspace is None or kept is None:
            return None
        try:
            config = read_poller_config(props)
        except ConfigRefused as refused:
            worker.problem = str(refused)  # accepted by an older rule set; not pollable now
            return None
        worker.problem = None
        customer_id = workspace.properties["customerId"]
        return WindowPoller(
            connector=ConnectorIdentity(connector.id, connector.name, connector.body.get("kind", "RestApiPoller")),
            config=config,
            state=PollState(**kept),
            send=worker.sender,
            ingestor=CloudIngestor(self.cloud, config.dcr, self.principal),
            health=LogStoreHealthSink(
                self.cloud.logs.insert_records,
                workspace_id=customer_id,
                now=self.cloud.clock.now,
                extra={"DataType": config.data_type, "ConnectorDefinitionName": config.definition_name},
                prefixed=lambda: self.cloud.quirks.chosen("sentinel_health_resource_name", "prefixed"),
            ),
            clock=self.cloud.clock,
            sleep=sleep,
            save=lambda state: self._save(connector_id, state),
            settings=self.settings,
            keep_going=worker._keep_going,
        )

    def status(self) -> list[dict[str, Any]]:
        """Where every connector stands (control API ``GET /_emulator/ccf``)."""
        out = []
        states = self.cloud.store.documents(_STATE)
        for connector in self._sentinel.connectors():
            key = connector.id.lower()
            with self._lock:
                worker = self._workers.get(key)
            poller = worker.poller if worker else None
            kept = states.get(key)
            entry: dict[str, Any] = {
                "id": connector.id,
                "name": connector.name,
                "running": worker is not None and worker.thread.is_alive(),
                "active": bool(poller and poller.config.is_active),
                "problem": worker.problem if worker else None,
                "state": kept,
            }
            if kept is not None:
                state = PollState(**kept)
                # Every window from the origin up to the current window's start is in.
                entry["collected_from"] = _iso(_from_micros(state.origin_us or state.window_start_us))
                entry["collected_until"] = _iso(_from_micros(state.window_start_us))
                if poller is not None:
                    entry["next_due"] = _iso(poller.next_due())
            out.append(entry)
        return out

    def _save(self, connector_id: str, state: PollState) -> None:
        self.cloud.store.put_document(_STATE, connector_id.lower(), state.as_dict())


def _micros(value: dt.datetime) -> int:
    return (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _from_micros(value: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value)


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
