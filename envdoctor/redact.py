"""Recognise secrets so they never land in facts, reports or generated files.

Used twice: when environment variables are collected (a secret-looking value is never
stored) and when a shareable report is rendered (user, host, home paths and tokens are
replaced).
"""

from __future__ import annotations

import re

from envdoctor._util import lazy_re

# Known token shapes: AWS access keys, GitHub, Hugging Face, OpenAI-style, Slack, GitLab,
# JWTs, and URLs carrying credentials.
_TOKEN_PATTERNS = lazy_re(
    r"(AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|hf_[A-Za-z0-9]{20,}"
    r"|sk-[A-Za-z0-9_-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}"
)
# A URL carrying a password. Kept apart and anchored on "://": as one alternative of the
# pattern above, its scheme part was tried at every position of a long value (quadratic).
_URL_CREDENTIALS = lazy_re(r"[A-Za-z][A-Za-z0-9+.-]{0,30}://[^/\s:@]{1,256}:[^/\s@]{1,256}@")
# A long run of characters from a key alphabet, with no path or list separators: what an
# API key or password usually looks like and a version, path or device list never does.
_OPAQUE = lazy_re(r"^[A-Za-z0-9+/=_\-]{32,}$")
# Device identifiers (CUDA_VISIBLE_DEVICES=GPU-<uuid>, MIG-<uuid>) are not secrets; they
# are redacted in shareable reports but kept in facts, where rules need them.
_UUID = lazy_re(r"^(GPU-|MIG-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                   r"(/\d+/\d+)?$", re.IGNORECASE)
_SECRET_NAME = lazy_re(r"(TOKEN|SECRET|PASSW|PASSWD|PWD$|CREDENTIAL|API_?KEY|ACCESS_KEY|AUTH)",
                          re.IGNORECASE)


def looks_secret(value: str) -> bool:
    """Whether a value looks like a credential (a token, a key, a URL with a password)."""
    if _TOKEN_PATTERNS.search(value) or ("://" in value and _URL_CREDENTIALS.search(value)):
        return True
    if _UUID.match(value):
        return False
    return bool(_OPAQUE.match(value)) and not value.isdigit() and _mixed(value)


def _mixed(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha


def name_is_secret(name: str) -> bool:
    """Whether a variable's name says it holds a secret (``HF_TOKEN``, ``AWS_SECRET_…``)."""
    return bool(_SECRET_NAME.search(name))


def scrub_tokens(text: str, replacement: str = "<redacted>") -> str:
    """Replace every token-shaped substring of ``text``."""
    text = _TOKEN_PATTERNS.sub(replacement, text)
    return _URL_CREDENTIALS.sub(replacement, text) if "://" in text else text
