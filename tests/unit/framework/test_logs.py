"""framework.logs: TF_LOG levels, hclog JSON lines, context fields and, above all, redaction of secrets."""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
from collections.abc import Iterator

import pytest

from terraform_provider_tkg.framework import logs

PACKAGE = "terraform_provider_tkg"
log = logging.getLogger(f"{PACKAGE}.tests")


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger(PACKAGE).level)
    yield
    logs.forget_secrets()
    logging.captureWarnings(False)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger(PACKAGE).setLevel(saved[2])
    logs._installed = None


def capture(level: str = "TRACE", **kwargs: object) -> io.StringIO:
    stream = io.StringIO()
    logs.setup(level_from_env=False, level=level, stream=stream, **kwargs)  # type: ignore[arg-type]
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------------------------------
# Levels


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"TF_LOG": ""}, None),
        ({"TF_LOG": "off"}, None),
        ({"TF_LOG": "TRACE"}, logs.TRACE),
        ({"TF_LOG": "json"}, logs.TRACE),
        ({"TF_LOG": "debug"}, logging.DEBUG),
        ({"TF_LOG": "INFO"}, logging.INFO),
        ({"TF_LOG": "WARN"}, logging.WARNING),
        ({"TF_LOG": "ERROR"}, logging.ERROR),
        ({"TF_LOG": "bogus"}, logs.TRACE),  # Terraform treats an invalid level as TRACE
        ({"TF_LOG": "ERROR", "TF_LOG_PROVIDER": "DEBUG"}, logging.DEBUG),
        ({"TF_LOG": "DEBUG", "TF_LOG_PROVIDER": "OFF"}, None),
    ],
)
def test_level_follows_tf_log_provider_then_tf_log(environ: dict[str, str], expected: int | None) -> None:
    assert logs.tf_log_level(environ) == expected


def test_logging_is_off_without_tf_log(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TF_LOG", raising=False)
    monkeypatch.delenv("TF_LOG_PROVIDER", raising=False)
    assert logs.setup() is None
    log.error("password=hunter2 must not appear anywhere")
    logging.getLogger("some.library").error("nor this")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not log.isEnabledFor(logging.ERROR)


def test_level_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_LOG", "INFO")
    monkeypatch.delenv("TF_LOG_PROVIDER", raising=False)
    stream = io.StringIO()
    logs.setup(stream=stream)
    log.debug("hidden")
    log.info("shown")
    assert [entry["@message"] for entry in lines(stream)] == ["shown"]


# --------------------------------------------------------------------------------------------------------------------
# Format


TIMESTAMP = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
)  # go-plugin's layout 2006-01-02T15:04:05.000000Z07:00


def test_lines_are_hclog_json_that_go_plugin_parses() -> None:
    stream = capture()
    log.log(logs.TRACE, "t")
    log.debug("d %s", "arg")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    entries = lines(stream)
    assert [entry["@level"] for entry in entries] == ["trace", "debug", "info", "warn", "error", "error"]
    assert entries[1]["@message"] == "d arg"
    for entry in entries:
        assert TIMESTAMP.match(str(entry["@timestamp"]))
        assert entry["@module"] == f"{PACKAGE}.tests"
        assert all(isinstance(key, str) for key in entry)


def test_long_messages_are_truncated_to_fit_go_plugins_line_buffer() -> None:
    stream = capture()
    log.info("x" * 100_000)
    assert len(stream.getvalue()) < 64 * 1024
    (entry,) = lines(stream)
    assert str(entry["@message"]).endswith("(truncated)")


def test_context_fields_and_extras_become_fields() -> None:
    stream = capture()
    with logs.resource_context("tkg_vm_class", "best-effort-small"):
        log.info("creating", extra={"attempt": 2})
        with logs.log_context(tf_rpc="ApplyResourceChange"):
            log.info("nested")
    log.info("outside")
    inside, nested, outside = lines(stream)
    assert inside["tf_resource_type"] == "tkg_vm_class"
    assert inside["tf_resource_address"] == "best-effort-small"
    assert inside["attempt"] == 2
    assert nested["tf_rpc"] == "ApplyResourceChange" and nested["tf_resource_type"] == "tkg_vm_class"
    assert "tf_resource_type" not in outside


def test_resource_context_without_address() -> None:
    stream = capture()
    with logs.resource_context("tkg_cluster"):
        log.info("planning")
    (entry,) = lines(stream)
    assert entry["tf_resource_type"] == "tkg_cluster"
    assert "tf_resource_address" not in entry


def test_exceptions_are_kept_in_one_line() -> None:
    stream = capture()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    assert len(stream.getvalue().strip().splitlines()) == 1
    (entry,) = lines(stream)
    assert "RuntimeError: boom" in str(entry["exception"])


def test_third_party_libraries_only_warn_and_above() -> None:
    stream = capture()
    library = logging.getLogger("httpcore.http11")
    library.debug("send_request_headers Authorization: Basic YWRtaW46cGFzcw==")
    library.warning("retrying")
    assert [entry["@message"] for entry in lines(stream)] == ["retrying"]


def test_setup_twice_installs_one_handler() -> None:
    stream = capture()
    capture_again = io.StringIO()
    logs.setup(level_from_env=False, level="INFO", stream=capture_again)
    log.info("once")
    assert stream.getvalue() == ""
    assert len(lines(capture_again)) == 1


# --------------------------------------------------------------------------------------------------------------------
# Redaction: each case must lose its secret


SECRET_CASES = [
    ("password=hunter2 user=admin", "hunter2"),
    ("login failed for {'user': 'a', 'password': 'hunter 2'}", "hunter 2"),
    ('body {"password": "p\\"w", "username": "u"}', 'p\\"w'),
    ("passwd: s3cr3t-value", "s3cr3t-value"),
    ("client_secret=abcdef0123456789", "abcdef0123456789"),
    ("access_token=eyJhbGciOiJIUzI1NiJ9&next=1", "eyJhbGciOiJIUzI1NiJ9"),
    ("Authorization: Basic YWRtaW5pc3RyYXRvcjpzZWNyZXQ=", "YWRtaW5pc3RyYXRvcjpzZWNyZXQ="),
    ("headers={'Authorization': 'Bearer abc.def.ghi', 'Accept': '*/*'}", "abc.def.ghi"),
    ("using Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.payload.sig", "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.payload.sig"),
    ("vmware-api-session-id: 3f2a9c0d8b7e6f5a4c3b2a1d", "3f2a9c0d8b7e6f5a4c3b2a1d"),
    ("'vmware-api-session-id': 'b00b1e5ca1ab1e'", "b00b1e5ca1ab1e"),
    ("GET https://administrator:Passw0rd!@vcenter.example.com/api", "Passw0rd!"),
    (
        "key is -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBs3cr3tKeyMaterial\n-----END EC PRIVATE KEY----- done",
        "MHcCAQEEIBs3cr3tKeyMaterial",
    ),
    ("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----", "MIIEvQIBADANBgkq"),
    ("truncated: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAtrunc", "MIIEpAIBAAKCAQEAtrunc"),
    ("client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t", "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t"),
    ("users:\n- name: dev\n  user:\n    token: sha256~kubeTokenValue\n", "sha256~kubeTokenValue"),
    (
        "kubeconfig:\napiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: c\n"
        "kind: Config\nusers:\n- name: u\n  user:\n    client-certificate-data: Q0VSVA==\n    username: admin\n",
        "server: https://10.0.0.1:6443",
    ),
    ('{"apiVersion":"v1","kind":"Config","clusters":[{"cluster":{"server":"https://sup:6443"}}]}', "https://sup:6443"),
    ("secret value YXBpVmVyc2lvbjogdjEKY2x1c3RlcnM6Ci0gY2x1c3Rlcjo= stored", "YXBpVmVyc2lvbjogdjEK"),
]


@pytest.mark.parametrize(("text", "secret"), SECRET_CASES)
def test_redact_removes_credentials(text: str, secret: str) -> None:
    redacted = logs.redact(text)
    assert secret not in redacted
    assert "[REDACTED" in redacted
    assert logs.redact(redacted) == redacted  # idempotent: safe to apply twice


@pytest.mark.parametrize(
    "text",
    [
        "creating namespace ns-1 on supervisor domain-c8",
        "Basic authentication failed; token refresh scheduled",
        "kind: ConfigMap in namespace kube-system",
        "waiting for cluster phase Provisioned (attempt 2/5)",
        "GET /api/vcenter/namespaces/instances/ns-1 -> 200 in 12 ms",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert logs.redact(text) == text


def test_registered_secrets_are_redacted_in_every_spelling() -> None:
    secret = 'Sup3r "S3cret"/p@ss'
    logs.register_secret(secret)
    assert logs.redact(f"logging in with {secret} now") == "logging in with [REDACTED] now"
    assert "S3cret" not in logs.redact(json.dumps({"value": secret}))  # JSON-escaped
    assert "S3cret" not in logs.redact("q=Sup3r%20%22S3cret%22%2Fp%40ss")  # percent-encoded


def test_blank_secrets_are_ignored() -> None:
    logs.register_secret("")
    logs.register_secret("   ")
    assert logs.redact("a b c") == "a b c"


def test_longer_secret_wins_over_a_shorter_one_inside_it() -> None:
    logs.register_secret("abc")
    logs.register_secret("xxabcxx")
    assert logs.redact("value xxabcxx end") == "value [REDACTED] end"


def test_handler_redacts_message_arguments_exceptions_stack_and_fields() -> None:
    logs.register_secret("Tr0ub4dor&3")
    stream = capture()
    log.info("configure password=%s server=%s", "Tr0ub4dor&3", "vc.example.com")
    try:
        raise ValueError("login rejected for password Tr0ub4dor&3")
    except ValueError:
        log.exception("login failed", extra={"request": "Authorization: Basic dXNlcjpUcjB1YjRkb3ImMw=="})
    log.warning("stack", stack_info=True, extra={"detail": "token=abc123def"})
    with logs.resource_context("thing", "id Tr0ub4dor&3"):
        log.info("context")
    output = stream.getvalue()
    assert "Tr0ub4dor&3" not in output
    assert "dXNlcjpUcjB1YjRkb3ImMw==" not in output
    assert "abc123def" not in output
    first, second, third, fourth = lines(stream)
    assert first["@message"] == "configure password=[REDACTED] server=vc.example.com"
    assert "ValueError" in str(second["exception"])
    assert "stack" in third
    assert fourth["tf_resource_address"] == "id [REDACTED]"


def test_third_party_records_are_redacted_too() -> None:
    stream = capture()
    logging.getLogger("grpc._server").error("Exception calling application: password=letmein")
    assert "letmein" not in stream.getvalue()


def test_python_warnings_go_through_the_filter() -> None:
    stream = capture()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("insecure request with token=abcdef123456", UserWarning, stacklevel=1)
    assert "abcdef123456" not in stream.getvalue()
    assert "[REDACTED]" in stream.getvalue()


def test_filter_works_on_any_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "pw %s", ("password=x1y2z3",), None)
    assert logs.RedactingFilter().filter(record)
    assert record.getMessage() == "pw password=[REDACTED]"
