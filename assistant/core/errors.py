"""The error hierarchy: every message says what happened and what to do."""


class PolicyQAError(Exception):
    """Base of every error policyqa raises on purpose."""

    exit_code = 1


class ConfigError(PolicyQAError):
    """Bad settings or command-line usage."""

    exit_code = 2


class IngestError(PolicyQAError):
    """A file could not be turned into text or chunks."""


class StoreError(PolicyQAError):
    """The knowledge base cannot be opened, read or written."""


class LLMError(PolicyQAError):
    """The language model failed or is not installed."""
