"""SageMaker's API layer: one module per area answering AWS operations on moto's backend.

Each area is a backend mixin (composed in :mod:`emulators.sagemaker.provider`), the
handlers of operations moto lacks, and the background run that moves resources
through AWS's states by calling the engines.
"""
