"""The error hierarchy: every failure the CLI reports to a user is one of these.

Only ``envdoctor.cli`` catches them; it prints ``error:`` with the message and
``hint:`` with what to do next, and exits 2.
"""

from __future__ import annotations


class EnvdoctorError(Exception):
    """Base of every error envdoctor reports to its user.

    ``hint`` is the next step for the user, printed on its own ``hint:`` line.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(EnvdoctorError):
    """The command line asks for something that cannot be done."""


class FactsFileError(EnvdoctorError):
    """A snapshot (``--facts FILE``) cannot be read or is not a snapshot we understand."""


class HostError(EnvdoctorError):
    """The host to examine cannot be set up (a ``--root`` that does not exist, …)."""
