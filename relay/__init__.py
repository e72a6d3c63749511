"""The relay: a stateless Litestar app streaming the KB assistant's answers over SSE.

``relay.app.create_app()`` builds the app; ``relay.server.serve()`` runs it (``kbsync relay``).
"""
