"""The one mapping from HTTP status + vCenter error_type / Kubernetes Status.reason to the error tree."""

from __future__ import annotations

import pytest

from terraform_provider_tkg.api import errors


def vc_body(error_type: str, *messages: str) -> dict[str, object]:
    return {"error_type": error_type, "messages": [{"id": "x", "default_message": m, "args": []} for m in messages]}


@pytest.mark.parametrize(
    ("status", "error_type", "cls"),
    [
        (404, "NOT_FOUND", errors.NotFound),
        (400, "ALREADY_EXISTS", errors.AlreadyExists),
        (400, "INVALID_ARGUMENT", errors.Invalid),
        (400, "UNSUPPORTED", errors.Invalid),
        (400, "NOT_ALLOWED_IN_CURRENT_STATE", errors.Conflict),
        (400, "RESOURCE_IN_USE", errors.Conflict),
        (409, "CONCURRENT_CHANGE", errors.Conflict),
        (401, "UNAUTHENTICATED", errors.Unauthenticated),
        (403, "UNAUTHORIZED", errors.Forbidden),
        (503, "SERVICE_UNAVAILABLE", errors.Transient),
        (500, "ERROR", errors.ApiError),
        (404, "OPERATION_NOT_FOUND", errors.NotFound),
    ],
)
def test_vcenter_error_type_decides_the_class(status: int, error_type: str, cls: type[errors.ApiError]) -> None:
    err = errors.error_from_response(status, vc_body(error_type, "Something happened."), operation="GET /x")
    assert type(err) is cls
    assert err.status == status
    assert err.error_type == error_type
    assert err.messages == ["Something happened."]
    assert "Something happened." in err.describe()
    assert f"HTTP {status}" in err.describe() and error_type in err.describe() and "GET /x" in err.describe()


def test_error_type_wins_over_the_shared_400() -> None:
    assert isinstance(errors.error_from_response(400, vc_body("ALREADY_EXISTS", "taken")), errors.AlreadyExists)
    assert isinstance(errors.error_from_response(400, vc_body("RESOURCE_IN_USE", "busy")), errors.Conflict)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.Invalid),
        (401, errors.Unauthenticated),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (422, errors.Invalid),
        (429, errors.Transient),
        (500, errors.ApiError),
        (502, errors.Transient),
        (503, errors.Transient),
    ],
)
def test_status_alone_when_the_body_is_not_an_error_model(status: int, cls: type[errors.ApiError]) -> None:
    err = errors.error_from_response(status, "<html>proxy error with secret=hunter2</html>")
    assert type(err) is cls
    assert "hunter2" not in str(err) and f"HTTP {status}" in str(err)


def test_kubernetes_status_reason_hook() -> None:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": "Invalid",
        "message": 'Cluster "x" is invalid: spec.topology.version: Invalid value',
        "details": {"causes": [{"field": "spec.topology.version", "message": "bad"}]},
        "code": 422,
    }
    err = errors.error_from_response(422, body)
    assert type(err) is errors.Invalid
    assert err.error_type == "Invalid" and err.field == "spec.topology.version"
    assert type(errors.error_from_response(409, {"kind": "Status", "reason": "AlreadyExists"})) is errors.AlreadyExists
    assert type(errors.error_from_response(409, {"kind": "Status", "reason": "Conflict"})) is errors.Conflict


def test_field_named_in_a_vcenter_message_is_extracted() -> None:
    err = errors.error_from_response(
        400, vc_body("INVALID_ARGUMENT", "Invalid value for field 'storage_specs[0].policy': policy x does not exist.")
    )
    assert err.field == "storage_specs[0].policy"


def test_legacy_rest_error_shape() -> None:
    body = {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": [{"default_message": "gone"}]}}
    err = errors.error_from_response(404, body)
    assert type(err) is errors.NotFound and err.messages == ["gone"]


def test_messages_are_truncated_and_joined() -> None:
    err = errors.error_from_response(400, vc_body("INVALID_ARGUMENT", "a" * 1000, "second"))
    assert len(err.messages[0]) == errors.MAX_MESSAGE
    assert err.messages[1] == "second"
    assert len(err.message) <= errors.MAX_MESSAGE


def test_tree() -> None:
    for cls in (
        errors.NotFound,
        errors.AlreadyExists,
        errors.Conflict,
        errors.Invalid,
        errors.Unauthenticated,
        errors.Forbidden,
        errors.Transient,
        errors.UnexpectedResponse,
        errors.WaitTimeout,
    ):
        assert issubclass(cls, errors.ApiError)
    assert issubclass(errors.WaitCancelled, errors.WaitTimeout)
    assert issubclass(errors.WaitFailed, errors.WaitTimeout)
    timeout = errors.WaitTimeout("late", last={"x": 1}, status="CONFIGURING")
    assert timeout.last == {"x": 1} and timeout.last_status == "CONFIGURING"
    failed = errors.WaitFailed("bad", last=None, status="ERROR", messages=["quota exceeded"])
    assert failed.messages == ["quota exceeded"]
