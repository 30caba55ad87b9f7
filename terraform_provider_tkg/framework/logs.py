"""Provider logging in the format Terraform's ``TF_LOG`` understands, with secrets redacted.

Why JSON: Terraform reads a provider's stderr line by line through go-plugin (``Client.logStderr``). A line that
parses as a JSON object is treated as an hclog record: ``@level`` picks the level, ``@message`` the text,
``@timestamp`` must use the layout ``2006-01-02T15:04:05.000000Z07:00`` (exactly six fractional digits, else the whole
line is demoted), and every other key becomes a ``key=value`` field in Terraform's log. Any other line is logged at
DEBUG (or at the level of a leading ``[TRACE]``/``[DEBUG]``/``[INFO]``/``[WARN]``/``[ERROR]`` prefix on newer
go-plugin). So JSON keeps our levels and our fields, on every Terraform version.

Why a redaction filter on the handler, not on loggers: filters attached to a logger do not run for records that
propagate up from child loggers, while a handler filter sees every record the handler writes, including those of
third-party libraries (grpc's "Exception calling application" with its traceback, warnings).

Terraform discards provider stderr unless ``TF_LOG``/``TF_LOG_PROVIDER`` is set; when neither is set, logging is
switched off (loggers short-circuit before formatting anything), which also keeps start-up cheap.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TextIO

__all__ = [
    "TRACE",
    "JsonFormatter",
    "RedactingFilter",
    "log_context",
    "redact",
    "register_secret",
    "resource_context",
    "setup",
    "tf_log_level",
]

TRACE = 5
"""Python level number for hclog's TRACE (below DEBUG)."""

logging.addLevelName(TRACE, "TRACE")

# Terraform's level names (TF_LOG values) → Python level numbers. JSON is Terraform's "trace, as JSON" mode.
_TF_LEVELS: dict[str, int] = {
    "TRACE": TRACE,
    "JSON": TRACE,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}

_OFF = logging.CRITICAL + 10

REDACTED = "[REDACTED]"


# --------------------------------------------------------------------------------------------------------------------
# Level selection


def tf_log_level(environ: Mapping[str, str] | None = None) -> int | None:
    """Return the Python log level Terraform asks providers for, or ``None`` when provider logging is off.

    ``TF_LOG_PROVIDER`` wins over ``TF_LOG`` (as in Terraform). ``OFF`` or an empty value means off. An unknown
    non-empty value means TRACE, which is what Terraform itself falls back to for an invalid level.
    """
    env = os.environ if environ is None else environ
    raw = env.get("TF_LOG_PROVIDER") or env.get("TF_LOG") or ""
    value = raw.strip().upper()
    if not value or value == "OFF":
        return None
    return _TF_LEVELS.get(value, TRACE)


# --------------------------------------------------------------------------------------------------------------------
# Context fields

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})
_fields: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("tf_log_fields", default=_NO_FIELDS)


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add ``key=value`` fields to every log line written inside the block (in this thread or asyncio task).

    ``None`` values are skipped, so callers can pass optional facts unconditionally. Threads started inside the block do
    not inherit the fields unless run under ``contextvars.copy_context()``.
    """
    merged = dict(_fields.get())
    merged.update({key: value for key, value in fields.items() if value is not None})
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


def resource_context(type_name: str, address: str | None = None) -> contextlib.AbstractContextManager[None]:
    """Tag every log line in the block with ``tf_resource_type`` and, when known, ``tf_resource_address``.

    ``address`` is whatever identifies the object to a reader: the resource ID, ``namespace/name``, or a Terraform
    address when the caller knows it (Terraform does not send resource addresses to providers).
    """
    return log_context(tf_resource_type=type_name, tf_resource_address=address)


def current_fields() -> Mapping[str, str]:
    """The context fields active in the calling thread/task (read-only view)."""
    return _fields.get()


# --------------------------------------------------------------------------------------------------------------------
# Redaction

_secrets: set[str] = set()
_secret_variants: tuple[str, ...] = ()

# Keys whose value is a secret wherever they appear as `key=value`, `key: value`, `"key": "value"` or `'key': 'value'`.
# Matching any key *containing* these words catches access_token, client_secret, x-api-key, client-key-data, ...
_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|key[_-]?data|session[_-]?id|credential|private[_-]?key"
)
_SECRET_KEY = rf"[\w.-]*(?:{_SECRET_WORDS})[\w.-]*"
_VALUE = r"(?:\[REDACTED[^\]]*\]|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"',;&}\])]+)"


class _Patterns:
    """The redaction regexes, compiled on first use: a provider that never logs never pays for them."""

    def __init__(self) -> None:
        self.key_value = re.compile(
            rf"(?P<key>[\"']?\b{_SECRET_KEY}[\"']?\s*[:=]\s*)(?P<value>{_VALUE})", re.IGNORECASE
        )
        # `Authorization: Basic xxx` / `'Authorization': 'Bearer xxx'`: the scheme and the credential both go.
        self.authorization = re.compile(
            r"(?P<key>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*)(?P<value>[\"']?(?:[A-Za-z-]+\s+)?[^\s\"',;}]+[\"']?)",
            re.IGNORECASE,
        )
        # A bearer token outside a header (e.g. in an error text). Basic credentials only travel in a header (above).
        self.bearer = re.compile(r"\b(?P<scheme>bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
        # `scheme://user:password@host`
        self.url_userinfo = re.compile(r"(?P<keep>://[^/\s:@]+:)[^/\s@]+@")
        self.pem_block = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL)
        # A private key cut short (e.g. a truncated error body): everything from its header on goes.
        self.pem_open = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*", re.DOTALL)
        # A kubeconfig, as YAML or JSON: `kind: Config` (not ConfigMap). Redacted whole, from its `apiVersion` to the
        # end of the text, rather than trusting that every credential field inside it is recognised.
        self.kubeconfig_kind = re.compile(r"[\"']?\bkind[\"']?\s*:\s*[\"']?Config\b(?![-\w])")
        # A base64-encoded kubeconfig (a Secret's data) starts with base64("apiVersion").
        self.kubeconfig_b64 = re.compile(r"YXBpVmVyc2lvbj[A-Za-z0-9+/]{16,}={0,2}")


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


def _redact_kubeconfig(text: str) -> str:
    found = _patterns().kubeconfig_kind.search(text)
    if found is None:
        return text
    start = text.rfind("apiVersion", 0, found.start())
    if start < 0:
        start = found.start()
    # Keep an opening JSON quote/brace out of the redaction marker's way: cut at the start of the key.
    while start > 0 and text[start - 1] in "\"'":
        start -= 1
    return text[:start] + "[REDACTED KUBECONFIG]"


def register_secret(value: str) -> None:
    """Never let ``value`` reach a log line: every occurrence is replaced by ``[REDACTED]`` from now on.

    Also covers the value's JSON-escaped and percent-encoded spellings, since it may appear inside a request body or
    URL. Blank values are ignored (redacting every space would only destroy the log).
    """
    if not value or not value.strip():
        return
    import json
    from urllib.parse import quote  # rare call; keep it off the start-up path

    global _secret_variants
    _secrets.update({value, json.dumps(value)[1:-1], quote(value, safe="")})
    # Longest first, so that a secret containing another secret is replaced whole.
    _secret_variants = tuple(sorted(_secrets, key=len, reverse=True))


def forget_secrets() -> None:
    """Drop every registered secret (for tests)."""
    global _secret_variants
    _secrets.clear()
    _secret_variants = ()


def redact(text: str) -> str:
    """Return ``text`` with registered secrets and anything that looks like a credential replaced by ``[REDACTED]``."""
    for secret in _secret_variants:
        if secret in text:
            text = text.replace(secret, REDACTED)
    patterns = _patterns()
    text = patterns.pem_block.sub("[REDACTED PRIVATE KEY]", text)
    text = patterns.pem_open.sub("[REDACTED PRIVATE KEY]", text)
    text = _redact_kubeconfig(text)
    text = patterns.kubeconfig_b64.sub("[REDACTED KUBECONFIG]", text)
    text = patterns.authorization.sub(lambda m: m.group("key") + REDACTED, text)
    text = patterns.bearer.sub(lambda m: m.group("scheme") + " " + REDACTED, text)
    text = patterns.url_userinfo.sub(lambda m: m.group("keep") + REDACTED + "@", text)
    return patterns.key_value.sub(lambda m: m.group("key") + REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(str(value))


class RedactingFilter(logging.Filter):
    """Rewrites each record so that its message, exception text, stack and extra fields carry no secret.

    The message is rendered (``msg % args``) first, because a secret usually arrives as an argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            # The formatter would otherwise render the live exception again, unredacted.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in _extra_keys(record):
            setattr(record, key, _redact_value(getattr(record, key)))
        return True


# --------------------------------------------------------------------------------------------------------------------
# Formatting

_MAX_TEXT = 16 * 1024

_LEVEL_NAMES = {TRACE: "trace", logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}

# Attributes every LogRecord has; anything else on a record came from `extra=` and is written as a field.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [key for key in record.__dict__ if key not in _RECORD_ATTRS and not key.startswith("_")]


def _hclog_level(levelno: int) -> str:
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


class JsonFormatter(logging.Formatter):
    """One hclog-style JSON object per line: ``@level``, ``@message``, ``@module``, ``@timestamp`` plus fields."""

    def format(self, record: logging.LogRecord) -> str:
        import datetime
        import json

        stamp = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        entry: dict[str, Any] = {
            "@level": _LEVEL_NAMES.get(record.levelno) or _hclog_level(record.levelno),
            "@message": record.getMessage(),
            "@module": record.name,
            # go-plugin parses exactly this layout; a different one demotes the whole line to a plain DEBUG string.
            "@timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        fields = getattr(record, "_tf_fields", None)
        if fields is None:
            fields = _fields.get()
        entry.update(fields)
        for key in _extra_keys(record):
            value = getattr(record, key)
            entry[key] = value if isinstance(value, str | int | float | bool) or value is None else str(value)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        for key in ("@message", "exception", "stack"):
            # go-plugin reads stderr in 64 KiB lines; a longer line is split and each part demoted to plain DEBUG.
            value = entry.get(key)
            if isinstance(value, str) and len(value) > _MAX_TEXT:
                entry[key] = value[:_MAX_TEXT] + " …(truncated)"
        return json.dumps(entry, ensure_ascii=False, default=str)


class _ContextCapture(logging.Filter):
    """Pins the context fields to the record in the logging thread, before any handler could defer formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _fields.get()
        if fields:
            record._tf_fields = {key: redact(value) for key, value in fields.items()}
        return True


# --------------------------------------------------------------------------------------------------------------------
# Setup

_installed: logging.Handler | None = None


def _own_package() -> str:
    # The top-level package this module is vendored in; keeps this module free of any product name.
    return __name__.split(".", 1)[0]


def setup(
    level_from_env: bool = True,
    *,
    level: int | str | None = None,
    packages: Sequence[str] | None = None,
    stream: TextIO | None = None,
    third_party_level: int = logging.WARNING,
) -> logging.Handler | None:
    """Configure logging for a provider process: JSON lines on stderr, secrets redacted, levels from ``TF_LOG``.

    ``packages`` (default: the package this module belongs to) log at the requested level; every other library logs
    at ``third_party_level`` or above, so that e.g. an HTTP library's debug output (headers, bodies) never reaches
    Terraform's log. With ``level_from_env`` the level comes from ``TF_LOG_PROVIDER``/``TF_LOG``; otherwise from
    ``level`` (a Python level number or a Terraform level name; default INFO). When the level is off, a null handler
    is installed, so that not even Python's last-resort handler writes unredacted text. Calling ``setup`` again
    replaces the previous configuration. Returns the installed JSON handler, or ``None`` when logging is off.
    """
    global _installed
    chosen: int | None
    if level_from_env:
        chosen = tf_log_level()
    elif isinstance(level, str):
        chosen = _TF_LEVELS.get(level.strip().upper(), TRACE) if level.strip().upper() != "OFF" else None
    else:
        chosen = logging.INFO if level is None else level

    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
        _installed = None

    names = list(packages) if packages is not None else [_own_package()]
    if chosen is None:
        handler: logging.Handler = logging.NullHandler()
        root.addHandler(handler)
        root.setLevel(_OFF)
        for name in names:
            logging.getLogger(name).setLevel(_OFF)
        _installed = handler
        return None

    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_ContextCapture())
    handler.addFilter(RedactingFilter())
    handler.setLevel(min(chosen, third_party_level))
    root.addHandler(handler)
    root.setLevel(third_party_level)
    for name in names:
        logging.getLogger(name).setLevel(chosen)
    # Python warnings otherwise go straight to stderr, past the redaction filter.
    logging.captureWarnings(True)
    _installed = handler
    return handler
