"""The bot's errors, in the project's one tree (``kbcore.errors``)."""

from __future__ import annotations

from kbcore.errors import KbsyncError


class TelegramError(KbsyncError):
    """A Telegram failure the bot could not get past (the message says which call)."""


class TelegramConfigError(TelegramError):
    """A Telegram setting is missing or malformed; the message names the variable."""
