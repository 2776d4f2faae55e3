"""Errors a user can act on: each message says what went wrong and what to do."""


class PolicyQAError(Exception):
    """Base class; the CLI prints these without a traceback."""


class IndexMissingError(PolicyQAError):
    pass


class IndexCorruptError(PolicyQAError):
    pass


class IndexFormatError(IndexCorruptError):
    """The index was written by another version of PolicyQA: a build replaces it."""


class BuildLockedError(PolicyQAError):
    pass


class StoreUnavailableError(PolicyQAError):
    pass


class ConversationStoreError(StoreUnavailableError):
    """The saved-conversations file cannot be opened (corrupt, or from a newer version)."""


class ConversationNotFoundError(PolicyQAError, KeyError):
    """No such conversation of this owner's (an HTTP API answers 404)."""


class DocumentNotFoundError(PolicyQAError, KeyError):
    """No such document in the index, or its file is no longer in the corpus folder (an
    HTTP API answers 404)."""


class InvalidUploadError(PolicyQAError, ValueError):
    """A file that cannot take the place it was sent for: wrong type, bad content, too
    large (an HTTP API answers 400)."""


class InvalidQuestionError(PolicyQAError, ValueError):
    pass


class QuestionTooLongError(InvalidQuestionError):
    """A question over the length limit (an HTTP API answers 413)."""


class ModelUnavailableError(PolicyQAError):
    pass


class BackendError(PolicyQAError):
    """A generator failed (down, timeout, garbage); callers fall back to extractive."""
