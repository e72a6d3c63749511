"""kbsync: reconcile a git-kept knowledge base into an OpenAI vector store."""

__version__ = "0.1.0"
