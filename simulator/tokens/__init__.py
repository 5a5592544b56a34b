"""Token counting: the only package that imports tiktoken."""
