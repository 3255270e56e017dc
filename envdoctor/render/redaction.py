"""Redaction for shareable reports: user, host, home directories, tokens.

A report pasted into a public issue must not say who ran it, on which host, or carry a
token that slipped into an environment variable. The redactor is built from the facts
(it knows the user and host names to hide) and applied to every string of the output.
"""

from __future__ import annotations

import re
from typing import Any

from envdoctor.facts import Facts
from envdoctor.redact import scrub_tokens

HOST = "<host>"
USER = "<user>"


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
        self._subs = subs

    def text(self, value: str) -> str:
        """Redact one string."""
        if value in self._exact:
            return self._exact[value]
        for pattern, replacement in self._subs:
            value = pattern.sub(replacement, value)
        return scrub_tokens(value)

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
