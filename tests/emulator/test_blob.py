"""The local cloud's Blob service, through Azure's own SDK: blobs, metadata and the Lease Blob state machine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.storage.blob import BlobClient, BlobLeaseClient
from local_cloud import Http, make_credential

LOCK_BLOB = "miro-sentinel-prod.tfstate.lock"


def blob_client(
    info: dict[str, Any], credential: ClientSecretCredential, *, container: str | None = None
) -> BlobClient:
    return BlobClient(
        f"{info['blob_endpoint']}/{info['storage_account']}",
        container or info["storage_container"],
        LOCK_BLOB,
        credential=credential,
        connection_verify=info["ca_cert"],
        retry_total=0,
    )


@pytest.fixture
def blob(emulator: dict[str, Any], credential: ClientSecretCredential) -> Iterator[BlobClient]:
    client = blob_client(emulator, credential)
    client.upload_blob(b"", overwrite=False)
    yield client
    client.close()


def refusal(call: Any) -> tuple[int | None, str | None]:
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value.status_code, getattr(caught.value, "error_code", None)


def test_the_ready_line_names_the_blob_service_its_account_and_container(emulator: dict[str, Any]) -> None:
    assert emulator["blob_endpoint"] == emulator["arm_endpoint"] + "/blob"
    assert (emulator["storage_account"], emulator["storage_container"]) == ("stlocalstate", "tfstate")


def test_a_blob_created_only_if_missing_is_refused_the_second_time(blob: BlobClient) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        blob.upload_blob(b"", overwrite=False)
    assert caught.value.error_code == "BlobAlreadyExists"


def test_a_second_lease_is_refused_while_the_first_is_held(blob: BlobClient) -> None:
    first = BlobLeaseClient(blob)
    first.acquire(lease_duration=15)

    assert refusal(lambda: BlobLeaseClient(blob).acquire(lease_duration=15)) == (409, "LeaseAlreadyPresent")
    properties = blob.get_blob_properties()
    assert (properties.lease.state, properties.lease.status, properties.lease.duration) == ("leased", "locked", "fixed")


def test_metadata_written_under_the_lease_is_read_by_anyone(blob: BlobClient) -> None:
    lease = BlobLeaseClient(blob)
    lease.acquire(lease_duration=60)
    blob.set_blob_metadata({"pid": "4242", "host": "ci-runner-7"}, lease=lease)

    assert blob.get_blob_properties().metadata == {"pid": "4242", "host": "ci-runner-7"}


def test_writing_a_leased_blob_without_its_lease_is_refused(blob: BlobClient) -> None:
    BlobLeaseClient(blob).acquire(lease_duration=15)

    assert refusal(lambda: blob.set_blob_metadata({"a": "b"})) == (412, "LeaseIdMissing")
    assert refusal(lambda: blob.set_blob_metadata({"a": "b"}, lease="0b2f3e1c-9a7d-4c55-8a43-1f6e2b7d9c10")) == (
        412,
        "LeaseIdMismatchWithBlobOperation",
    )


def test_a_released_lease_can_be_taken_by_another_at_once(blob: BlobClient) -> None:
    first = BlobLeaseClient(blob)
    first.acquire(lease_duration=15)
    first_id = first.id
    first.release()

    second = BlobLeaseClient(blob)
    second.acquire(lease_duration=15)
    assert blob.get_blob_properties().lease.state == "leased"
    assert refusal(BlobLeaseClient(blob, lease_id=first_id).renew) == (409, "LeaseIdMismatchWithLeaseOperation")


def test_renewing_keeps_the_lease_and_releasing_twice_is_refused(blob: BlobClient) -> None:
    lease = BlobLeaseClient(blob)
    lease.acquire(lease_duration=15)
    lease.renew()
    lease_id = lease.id
    lease.release()

    assert refusal(BlobLeaseClient(blob, lease_id=lease_id).release) == (409, "LeaseNotPresentWithLeaseOperation")


def test_an_expired_lease_is_taken_by_another_and_its_holder_cannot_renew_it(cloud: Any, blob: BlobClient) -> None:
    first = BlobLeaseClient(blob)
    first.acquire(lease_duration=15)
    service = cloud.backend("blob", None)
    real_clock = service._clock
    service._clock = lambda: real_clock() + 16  # 16 real seconds later: nobody renewed it
    try:
        assert blob.get_blob_properties().lease.state == "expired"
        BlobLeaseClient(blob).acquire(lease_duration=15)
        assert refusal(first.renew) == (409, "LeaseIdMismatchWithLeaseOperation")
    finally:
        service._clock = real_clock


def test_a_broken_lease_cannot_be_renewed(blob: BlobClient) -> None:
    lease = BlobLeaseClient(blob)
    lease.acquire(lease_duration=60)
    assert lease.break_lease(lease_break_period=0) == 0

    assert blob.get_blob_properties().lease.state == "broken"
    assert refusal(lease.renew) == (409, "LeaseIsBrokenAndCannotBeRenewed")


def test_a_lease_duration_outside_azures_range_is_refused(blob: BlobClient) -> None:
    assert refusal(lambda: BlobLeaseClient(blob).acquire(lease_duration=90)) == (400, "InvalidHeaderValue")


def test_a_container_the_account_does_not_have_is_not_found(
    emulator: dict[str, Any], credential: ClientSecretCredential
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        blob_client(emulator, credential, container="other").upload_blob(b"")
    assert caught.value.error_code == "ContainerNotFound"


def test_a_principal_without_a_data_role_is_refused(emulator: dict[str, Any], http: Http) -> None:
    registered = http.control("POST", "/principals", {})  # no role at all: as Owner of the subscription would be
    with make_credential(emulator, registered["client_id"], registered["client_secret"]) as credential:
        client = blob_client(emulator, credential)
        assert refusal(lambda: client.upload_blob(b"", overwrite=True)) == (403, "AuthorizationPermissionMismatch")
