"""Models loaded in-process, answering inference requests as SageMaker's serving containers do.

A model is ``model.tar.gz`` (unpacked into a folder) plus the container's image and
environment. For the scikit-learn and XGBoost framework images the user's
inference script (``SAGEMAKER_PROGRAM`` in ``SAGEMAKER_SUBMIT_DIRECTORY`` -- a
``sourcedir.tar.gz`` in S3 -- or ``code/`` inside model.tar.gz) is imported and its
``model_fn`` / ``input_fn`` / ``predict_fn`` / ``output_fn`` (or ``transform_fn``)
are used; any that are missing fall back to the container's defaults:

- ``model_fn``: scikit-learn -> the first ``*.joblib``/``*.pkl``/``*.pickle`` file
  (joblib/pickle); XGBoost -> ``xgboost-model`` (or ``*.json``/``*.ubj``/``*.bst``)
  as an ``xgboost.Booster``.
- ``input_fn``: ``text/csv`` (no header), ``application/json`` (a list of rows),
  ``application/x-npy`` -> a numpy array. Text bodies reach a user ``input_fn`` as
  ``str``, others as ``bytes``.
- ``predict_fn``: ``model.predict(data)`` (a ``DMatrix`` for a Booster).
- ``output_fn``: ``application/json`` -> a JSON list; ``text/csv`` -> one line per
  row; ``application/x-npy``.

Built-in algorithm models are served by :class:`builtin_algorithms.BuiltinPredictor`.
Loaded models live in :data:`LOADED` (a module-level registry, never pickled).
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from emulators.sagemaker import container
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import training
from emulators.sagemaker.runtime import builtin_algorithms

TEXT_TYPES = ("text/", "application/json", "application/jsonlines")


class ModelError(Exception):
    """The model's code raised (a ModelError on AWS, with the container's message)."""


class InferenceModel:
    """One loaded model (one production variant)."""

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               batch: bool = False) -> tuple[bytes, str]:
        raise NotImplementedError


class BuiltinModel(InferenceModel):
    def __init__(self, algorithm: str, model_dir: Path) -> None:
        self.predictor = builtin_algorithms.BuiltinPredictor(algorithm, model_dir)

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               batch: bool = False) -> tuple[bytes, str]:
        try:
            return self.predictor.invoke(body, content_type, accept, batch=batch)
        except builtin_algorithms.AlgorithmError as exc:
            raise ModelError(str(exc)) from None
        except Exception as exc:
            raise ModelError(f"{type(exc).__name__}: {exc}") from None


class FrameworkModel(InferenceModel):
    """A scikit-learn / XGBoost framework model with the user's handler functions."""

    def __init__(self, framework: str, model_dir: Path, module: Any | None) -> None:
        self.framework = framework
        self.model_dir = model_dir
        self.module = module
        handler = getattr(module, "model_fn", None) if module else None
        try:
            self.model = handler(str(model_dir)) if handler else default_model_fn(framework, model_dir)
        except ContainerError:
            raise
        except Exception as exc:
            raise ContainerError(f"model_fn failed: {type(exc).__name__}: {exc}") from None

    def _fn(self, name: str) -> Any:
        return getattr(self.module, name, None) if self.module else None

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               batch: bool = False) -> tuple[bytes, str]:
        content_type = (content_type or "text/csv").split(";")[0].strip()
        accept = (accept or "").split(";")[0].strip()
        if accept in ("", "*/*"):
            accept = content_type if content_type in ("text/csv", "application/json", "application/x-npy") \
                else "application/json"
        data_in: Any = body.decode("utf-8") if content_type.startswith(TEXT_TYPES) else body
        try:
            transform = self._fn("transform_fn")
            if transform:
                return _as_response(transform(self.model, data_in, content_type, accept), accept)
            input_fn, predict_fn, output_fn = self._fn("input_fn"), self._fn("predict_fn"), self._fn("output_fn")
            data = input_fn(data_in, content_type) if input_fn else default_input_fn(body, content_type)
            prediction = predict_fn(data, self.model) if predict_fn else default_predict_fn(self.model, data)
            if output_fn:
                return _as_response(output_fn(prediction, accept), accept)
            return default_output_fn(prediction, accept), accept
        except builtin_algorithms.AlgorithmError as exc:
            raise ModelError(str(exc)) from None
        except Exception as exc:
            raise ModelError(f"{type(exc).__name__}: {exc}") from None


def _as_response(result: Any, accept: str) -> tuple[bytes, str]:
    if isinstance(result, tuple) and len(result) == 2:
        body, ctype = result
    else:
        body, ctype = result, accept
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = json.dumps(_to_plain(body)).encode("utf-8")
    return bytes(body), ctype


def _to_plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def default_model_fn(framework: str, model_dir: Path) -> Any:
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and "code" not in p.relative_to(model_dir).parts)
    if framework == "xgboost":
        import xgboost as xgb

        for path in files:
            if path.name == "xgboost-model" or path.suffix in (".json", ".ubj", ".bst", ".model"):
                booster = xgb.Booster()
                try:
                    booster.load_model(str(path))
                    return booster
                except xgb.core.XGBoostError:
                    continue
    for path in files:
        if path.suffix in (".joblib", ".pkl", ".pickle", ".sav") or path.name in ("model", "xgboost-model"):
            import joblib

            try:
                return joblib.load(path)
            except Exception as exc:
                raise ContainerError(f"cannot load {path.name} with joblib/pickle: {exc}") from None
    raise ContainerError("model.tar.gz holds no model file the default model_fn can load "
                         "(*.joblib, *.pkl, xgboost-model); define model_fn in your inference script")


def default_input_fn(body: bytes, content_type: str) -> Any:
    import numpy as np

    if content_type == "application/json":
        data = json.loads(body)
        if isinstance(data, dict) and "instances" in data:
            data = data["instances"]
        return np.asarray(data)
    if content_type == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=False)
    if content_type in ("text/csv", "text/plain"):
        return builtin_algorithms.parse_records(body, "text/csv")
    raise builtin_algorithms.AlgorithmError(
        f"Content type {content_type} is not supported by this framework (text/csv, application/json, "
        "application/x-npy); define input_fn in your inference script")


def default_predict_fn(model: Any, data: Any) -> Any:
    try:
        import xgboost as xgb

        if isinstance(model, xgb.Booster):
            return model.predict(data if isinstance(data, xgb.DMatrix) else xgb.DMatrix(data))
    except ImportError:
        pass
    if not hasattr(model, "predict"):
        raise builtin_algorithms.AlgorithmError(f"the loaded model ({type(model).__name__}) has no predict method;"
                                                " define predict_fn in your inference script")
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> bytes:
    import numpy as np

    if accept == "application/json":
        return json.dumps(_to_plain(prediction)).encode("utf-8")
    if accept == "text/csv":
        array = np.asarray(prediction)
        rows = array.reshape(-1, 1) if array.ndim <= 1 else array
        return "\n".join(",".join(str(v) for v in row) for row in rows.tolist()).encode("utf-8")
    if accept == "application/x-npy":
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction))
        return buffer.getvalue()
    raise builtin_algorithms.AlgorithmError(f"Accept type {accept} is not supported (application/json, text/csv,"
                                            " application/x-npy); define output_fn in your inference script")


def import_inference_module(code_dir: Path, program: str) -> Any:
    path = container.safe_join(code_dir, program)
    if not path.exists():
        raise ContainerError(f"the inference script {program!r} is not in the source directory")
    name = f"sandbox_inference_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ContainerError(f"importing {program} failed: {type(exc).__name__}: {exc}") from None
    finally:
        try:
            sys.path.remove(str(code_dir))
        except ValueError:
            pass
    return module


def load_model(image: str, environment: dict[str, str], model_archive: bytes | None, work_dir: Path,
               s3: Any) -> InferenceModel:
    """Unpack a model and load it for serving; ``ContainerError`` says why it cannot be served."""
    environment = environment or {}
    runner = training.resolve_image(image, environment=environment)
    model_dir = work_dir / "model"
    if model_archive is not None:
        container.safe_extract(model_archive, model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    if runner.kind == "builtin":
        try:
            return BuiltinModel(runner.name, model_dir)
        except builtin_algorithms.AlgorithmError as exc:
            raise ContainerError(str(exc)) from None
    module = None
    program = environment.get("SAGEMAKER_PROGRAM")
    if program:
        submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if submit.startswith("s3://"):
            code_dir = work_dir / "code"
            code_dir.mkdir(parents=True, exist_ok=True)
            training.fetch_source_dir(s3, submit, code_dir)
        elif (model_dir / "code").exists():
            code_dir = model_dir / "code"
        else:
            code_dir = Path(submit.replace(container.OPT_ML + "/model", str(model_dir))) if submit else model_dir
        module = import_inference_module(code_dir, program)
    return FrameworkModel(runner.name, model_dir, module)


# -- the registry of loaded endpoints ---------------------------------------------------
LOADED: dict[tuple[str, str, str], dict[str, InferenceModel]] = {}
LOAD_LOCK = threading.Lock()


def endpoint_key(account_id: str, region: str, endpoint_name: str) -> tuple[str, str, str]:
    return (account_id, region, endpoint_name)
