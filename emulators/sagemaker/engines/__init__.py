"""SageMaker's engines: the work itself, on job folders, paths and plain values.

Training, processing, hosting (models loaded in-process), batch transform, tuning
search, request validation, MLflow tracking, Model Monitor and Clarify analyses,
pipeline definitions and Autopilot's plan. Engines never import moto, the server or
the API modules (``tests/unit/test_sagemaker_layers.py`` checks it).
"""
