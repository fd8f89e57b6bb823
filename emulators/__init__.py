"""The local cloud: an AWS-compatible endpoint on 127.0.0.1, one folder per AWS service.

moto answers the AWS protocols and keeps control-plane state; the sandbox's engines
(DuckDB, PySpark, scikit-learn/MLflow, ...) do the work where AWS really does work.
``emulators`` never imports ``sandbox``.
"""

__version__ = "0.1.0"
