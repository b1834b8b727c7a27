"""The auditor's own errors. Every one carries what went wrong, where, and a hint; the CLI prints
it on one line (plus the hint) and exits with code 2. Library code raises, never prints."""

from __future__ import annotations


class AuditorError(Exception):
    """Base class: a problem with the user's input or usage, not a bug (exit code 2)."""

    def __init__(self, message: str, *, hint: str = "", where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(AuditorError):
    """A document (or config file) cannot be read or is not what it claims to be."""


class UsageError(AuditorError):
    """The command line asks for something impossible or contradictory."""
