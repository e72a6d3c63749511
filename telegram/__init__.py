"""The Telegram channel: the same assistant in a bot (webhook or long polling).

It renders the answer engine's events as Telegram messages, keeps a conversation per
chat in ``state`` and hands visitors to operators; it never imports the web relay.
"""
