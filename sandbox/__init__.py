"""A local OpenAI-compatible server for development and tests.

It speaks the wire format of ``sandbox/spec/openapi.subset.json`` so that the
official ``openai`` SDK works against it unchanged through ``base_url``.
"""

DEFAULT_PORT = 8787  # kbsync sandbox and kbsync dev --sandbox-port
