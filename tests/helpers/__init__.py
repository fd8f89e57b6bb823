"""Plain helper modules for the tests (no fixtures, no tests): import them, never another test module.

- ``cloud``: free ports, a private sandbox that a test may stop and restart, the repository root.
- ``waiting``: polling for asynchronous states, and botocore's own waiters where the service has them.
- ``sagemaker``: a small dataset, a script-mode training script and archive, training/hosting calls.
"""
