"""Redaction for shareable reports: user, host, home directories, device ids, tokens.

A report pasted into a public issue must not say who ran it, on which host, which
physical GPUs (UUIDs and serial numbers identify boards), which cloud instance, or carry
a token that slipped into an environment variable. The redactor is built from the facts
(it knows the user and host names and serials to hide) and applied to every string of
the output, JSON keys included.
"""

from __future__ import annotations

import re
from typing import Any

from envdoctor.facts import Facts
from envdoctor.redact import looks_secret, scrub_tokens

HOST = "<host>"
USER = "<user>"
REDACTED = "<redacted>"
# GPU-/MIG- UUIDs as nvidia-smi and NVML print them; cloud instance and VM ids.
_DEVICE_IDS = (
    (re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                r"-[0-9a-fA-F]{12}\b"), r"\1-<uuid>"),
    (re.compile(r"\bi-[0-9a-f]{8}(?:[0-9a-f]{9})?\b"), "i-<instance>"),
)


class Redactor:
    """Replaces identifying strings of one machine everywhere in a report."""

    def __init__(self, facts: Facts) -> None:
        self._exact: dict[str, str] = {}
        subs: list[tuple[re.Pattern[str], str]] = []
        home = facts.user.home
        if home and home not in ("/", "/root"):
            subs.append((re.compile(re.escape(home.rstrip("/")) + r"(?=/|$|\b)"), "~"))
        elif home == "/root":
            subs.append((re.compile(r"(?<![\w.-])/root(?=/|$|\b)"), "~"))
        # Any other user's home seen in paths (/home/alice, /Users/bob) is also personal.
        subs.append((re.compile(r"(?<![\w.-])/(home|Users)/[^/\s:\"']+"), r"/\1/" + USER))
        name = facts.user.name
        if name:
            self._exact[name] = USER
            if len(name) >= 3 and name != "root":
                subs.append((re.compile(r"(?<=/)" + re.escape(name) + r"(?=/|$)"), USER))
        hostname = facts.os.hostname
        if hostname:
            self._exact[hostname] = HOST
            if len(hostname) >= 4:
                subs.append((re.compile(r"\b" + re.escape(hostname) + r"\b"), HOST))
                short = hostname.split(".", 1)[0]
                if short != hostname and len(short) >= 4:
                    subs.append((re.compile(r"\b" + re.escape(short) + r"\b"), HOST))
        for gpu in facts.nvidia.gpus:
            if gpu.serial and len(gpu.serial) >= 4:
                subs.append((re.compile(re.escape(gpu.serial)), "<serial>"))
        subs.extend(_DEVICE_IDS)
        self._subs = subs

    def text(self, value: str) -> str:
        """Redact one string."""
        if value in self._exact:
            return self._exact[value]
        if looks_secret(value):  # an API key in a variable whose name did not say so
            return REDACTED
        for pattern, replacement in self._subs:
            value = pattern.sub(replacement, value)
        return scrub_tokens(value, REDACTED)

    def value(self, data: Any) -> Any:  # noqa: ANN401 - any JSON value
        """Redact every string in a JSON value (keys included: paths can be keys)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self.value(v) for v in data]
        if isinstance(data, dict):
            return {self.text(k): self.value(v) for k, v in data.items()}
        return data


def redact_jsonable(data: Any, facts: Facts) -> Any:  # noqa: ANN401 - any JSON value
    """Redact a JSON value produced from ``facts``."""
    return Redactor(facts).value(data)
