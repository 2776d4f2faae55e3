"""Sub-commands of `policyqa`, one module per area."""
