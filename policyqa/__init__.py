"""PolicyQA: cited answers from a corpus of policy articles."""

from policyqa import offline

offline.enforce()

__version__ = "0.1.0"
