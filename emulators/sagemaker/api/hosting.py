"""Hosting: models, endpoint configurations and endpoints, and sagemaker-runtime InvokeEndpoint.

Creating or updating an endpoint loads its variants' models in the background
(:func:`load_endpoint`) through the serving engine
(:mod:`emulators.sagemaker.engines.hosting`); loaded models live in the engine's
registry, never pickled, and an InService endpoint reloads them on its first
request after a restart. ``InvokeEndpoint`` picks a variant by weight (or
``TargetVariant``) and hands the exchange to data capture (:mod:`.capture`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from emulators.core import lifecycle, moto_coupling
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, ServiceError
from emulators.core.moto_coupling import Request
from emulators.sagemaker import container
from emulators.sagemaker.api import common, events
from emulators.sagemaker.api.capture import capture_summary, record_exchange
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import hosting as serving

RuntimeBackend = moto_coupling.backend_class("sagemaker-runtime")


class HostingMixin:
    """Model, endpoint configuration and endpoint operations of the SageMaker backend."""

    def create_model(self, **kwargs: Any) -> Any:
        common.validate_request("CreateModel", kwargs)
        if kwargs["model_name"] in self._models:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:model/{kwargs['model_name']}"
            raise InvalidInput(f"Cannot create already existing model \"{arn}\".")
        model = super().create_model(**kwargs)
        if not model.vpc_config:  # AWS leaves out a VpcConfig that was not given (moto answered {})
            model.vpc_config = None
        return model

    def create_endpoint_config(self, **kwargs: Any) -> Any:
        common.validate_request("CreateEndpointConfig", kwargs)
        if kwargs["endpoint_config_name"] in self.endpoint_configs:
            arn = (f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/"
                   f"{kwargs['endpoint_config_name']}")
            raise InvalidInput(f"Cannot create already existing endpoint configuration "
                               f"\"{arn}\".")
        for variant in kwargs.get("production_variants") or []:
            _check_variant_compute(variant, bool(kwargs.get("async_inference_config")))
        names = [v.get("VariantName") for v in kwargs.get("production_variants") or []]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidInput(f"The variant name(s) \"{', '.join(map(str, repeated))}\" is/are not unique within "
                               "the ProductionVariants of the endpoint configuration.")
        return super().create_endpoint_config(**kwargs)

    def create_endpoint(self, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        common.validate_request("CreateEndpoint", {"endpoint_name": endpoint_name,
                                            "endpoint_config_name": endpoint_config_name, "tags": tags})
        if endpoint_name in self.endpoints:
            raise InvalidInput(f"Cannot create already existing endpoint "
                               f"\"{self.endpoints[endpoint_name].arn}\".")
        if endpoint_config_name not in self.endpoint_configs:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/{endpoint_config_name}"
            raise InvalidInput(f"Could not find endpoint configuration \"{arn}\".")
        endpoint = super().create_endpoint(endpoint_name, endpoint_config_name, tags)
        endpoint.endpoint_status = "Creating"
        describe_config(endpoint, self.endpoint_configs[endpoint_config_name])
        events.endpoint_changed(self, endpoint_name)  # before the load, which could end first
        common.cloud().submit(load_endpoint, self.account_id, self.region_name, endpoint_name, endpoint_config_name)
        return endpoint

    def update_endpoint(self, endpoint_name: str, endpoint_config_name: str) -> str:
        endpoint = self._endpoint(endpoint_name)
        if endpoint.endpoint_status not in ("InService", "Failed"):
            raise InvalidInput(f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        if endpoint_config_name not in self.endpoint_configs:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/{endpoint_config_name}"
            raise InvalidInput(f"Could not find endpoint configuration \"{arn}\".")
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        self.extras.pending_endpoint_configs[endpoint.arn] = endpoint_config_name
        events.endpoint_changed(self, endpoint_name)  # before the load, which could end first
        common.cloud().submit(load_endpoint, self.account_id, self.region_name, endpoint_name, endpoint_config_name)
        return endpoint.arn

    def update_endpoint_weights_and_capacities(self, endpoint_name: str,
                                               desired_weights_and_capacities: list[dict[str, Any]]) -> str:
        """Desired weights/counts now, current ones once the update is done (Updating -> InService)."""
        endpoint = self._endpoint(endpoint_name)
        if endpoint.endpoint_status != "InService":
            raise InvalidInput(f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        seen: set[str] = set()
        by_name = {v["VariantName"]: v for v in endpoint.production_variants}
        for desired in desired_weights_and_capacities or []:
            name = desired.get("VariantName")
            if name in seen:
                raise InvalidInput(f"The variant name \"{name}\" was non-unique within the request.")
            if name not in by_name:
                raise InvalidInput(f"The variant name(s) \"{name}\" is/are not present within endpoint "
                                   f"configuration \"{endpoint.endpoint_config_name}\".")
            if desired.get("DesiredWeight") is None and desired.get("DesiredInstanceCount") is None:
                raise InvalidInput(f"Variant {name}: give a DesiredWeight, a DesiredInstanceCount or both.")
            if desired.get("DesiredInstanceCount") is not None and "CurrentServerlessConfig" in by_name[name]:
                raise InvalidInput(f"Variant {name} is serverless: it has no instance count to update.")
            seen.add(name)
        for desired in desired_weights_and_capacities or []:
            variant = by_name[desired["VariantName"]]
            if desired.get("DesiredWeight") is not None:
                variant["DesiredWeight"] = float(desired["DesiredWeight"])
            if desired.get("DesiredInstanceCount") is not None:
                variant["DesiredInstanceCount"] = int(desired["DesiredInstanceCount"])
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        common.cloud().submit(_apply_desired_weights, self.account_id, self.region_name, endpoint_name)
        return endpoint.arn

    def delete_endpoint(self, endpoint_name: str) -> None:
        endpoint = self.endpoints.get(endpoint_name)  # type: ignore[attr-defined]
        super().delete_endpoint(endpoint_name)  # type: ignore[misc]
        if endpoint is not None:
            self.extras.pending_endpoint_configs.pop(endpoint.arn, None)  # type: ignore[attr-defined]
        serving.LOADED.pop(serving.endpoint_key(self.account_id, self.region_name, endpoint_name), None)

    def _endpoint(self, name: str) -> Any:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint/{name}"
            raise InvalidInput(f"Could not find endpoint \"{arn}\".")
        return endpoint


def _check_variant_compute(variant: dict[str, Any], asynchronous: bool) -> None:
    """A variant runs on instances or serverless, never both or neither (AWS's checks of CreateEndpointConfig)."""
    name, serverless = variant.get("VariantName"), variant.get("ServerlessConfig")
    if serverless and (variant.get("InstanceType") or variant.get("InitialInstanceCount")):
        raise InvalidInput(f"Variant {name}: ServerlessConfig cannot be given with InstanceType or "
                           "InitialInstanceCount; a variant is either serverless or on instances.")
    if not serverless and not variant.get("InstanceType"):
        raise InvalidInput(f"Variant {name}: give an InstanceType (with InitialInstanceCount) or a ServerlessConfig.")
    if serverless and int(serverless.get("MemorySizeInMB") or 0) % 1024:
        raise InvalidInput(f"Variant {name}: ServerlessConfig.MemorySizeInMB must be 1024, 2048, 3072, 4096, 5120 "
                           f"or 6144 (got {serverless.get('MemorySizeInMB')}).")
    if serverless and asynchronous:
        raise InvalidInput(f"Variant {name}: asynchronous inference (AsyncInferenceConfig) needs instances; "
                           "serverless variants do not support it.")


def variant_summaries(config_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DescribeEndpoint's ProductionVariants of an endpoint config's variants (moto drops a weight of 0, which
    then took traffic, and the instance counts once weights are updated)."""
    summaries = []
    for variant in config_variants or []:
        summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
        if variant.get("ServerlessConfig"):
            summary["CurrentServerlessConfig"] = dict(variant["ServerlessConfig"])
            summary["DesiredServerlessConfig"] = dict(variant["ServerlessConfig"])
        else:
            count = int(variant.get("InitialInstanceCount") or 1)
            summary.update(CurrentInstanceCount=count, DesiredInstanceCount=count)
        weight = variant.get("InitialVariantWeight")
        weight = 1.0 if weight is None else float(weight)
        summary.update(CurrentWeight=weight, DesiredWeight=weight)
        summaries.append(summary)
    return summaries


def describe_config(endpoint: Any, config: Any) -> None:
    """What DescribeEndpoint repeats of the endpoint config it runs: variants, data capture, async inference."""
    endpoint.production_variants = variant_summaries(config.production_variants)
    endpoint.data_capture_config = capture_summary(config.data_capture_config)
    endpoint.async_inference_config = getattr(config, "async_inference_config", None) or None


def _apply_desired_weights(account_id: str, region: str, endpoint_name: str) -> None:
    endpoint = common.backend(account_id, region).endpoints.get(endpoint_name)
    if endpoint is None:
        return
    with common.cloud().mutating():
        for variant in endpoint.production_variants:
            if "DesiredWeight" in variant:
                variant["CurrentWeight"] = variant["DesiredWeight"]
            if "DesiredInstanceCount" in variant:
                variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"]
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()
    events.endpoint_changed(common.backend(account_id, region), endpoint_name)


# ===================================================================== loading models
def _model_archive(model_data_url: str | None) -> bytes | None:
    if not model_data_url:
        return None
    bucket, key = container.parse_s3_uri(model_data_url)
    try:
        return common.s3().get(bucket, key)
    except Exception as exc:
        raise ContainerError(f"Could not access model data at {model_data_url}: {exc}") from None


def _package_container(backend: Any, name: str) -> dict[str, Any]:
    """The first inference container of a model package (named by ARN, or by name when unversioned)."""
    for package in backend.model_packages.values():
        if name in (package.arn, package.model_package_name):
            containers = (package.inference_specification or {}).get("Containers") or []
            if containers:
                return dict(containers[0])
            break
    raise ContainerError(f"Could not find an inference container of model package {name}")


def load_model_for_serving(backend: Any, model_name: str, work_dir: Path) -> serving.InferenceModel:
    model = backend._models.get(model_name)
    if model is None:
        raise ContainerError(f"Could not find model \"{model_name}\".")
    primary = model.primary_container or (model.containers[0] if model.containers else {})
    if not primary:
        raise ContainerError(f"model {model_name} has no PrimaryContainer")
    if primary.get("ModelPackageName"):  # a model of the registry: the package's inference container
        primary = {**_package_container(backend, primary["ModelPackageName"]),
                   **{k: v for k, v in primary.items() if k in ("Environment",) and v}}
    image = primary.get("Image", "")
    return serving.load_model(image, primary.get("Environment") or {}, _model_archive(primary.get("ModelDataUrl")),
                              work_dir, common.s3())


def _variants_of(backend: Any, config_name: str) -> list[dict[str, Any]]:
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        raise ContainerError(f"Could not find endpoint configuration {config_name}")
    return config.production_variants or []


def _load_variants(backend: Any, endpoint_name: str, config_name: str) -> dict[str, serving.InferenceModel]:
    loaded = {}
    for variant in _variants_of(backend, config_name):
        work = common.data_dir() / "endpoints" / endpoint_name / config_name / variant["VariantName"]
        loaded[variant["VariantName"]] = load_model_for_serving(backend, variant["ModelName"], work)
    return loaded


def load_endpoint(account_id: str, region: str, endpoint_name: str, config_name: str) -> None:
    backend = common.backend(account_id, region)
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        return
    cloud = common.cloud()
    shipper = common.log_stream(account_id, region, f"{common.ENDPOINT_LOG_GROUP}/{endpoint_name}",
                                "AllTraffic/sandbox")
    failure = None
    try:
        with serving.LOAD_LOCK:
            loaded = _load_variants(backend, endpoint_name, config_name)
        serving.LOADED[serving.endpoint_key(account_id, region, endpoint_name)] = loaded
        shipper.add(f"loaded {len(loaded)} variant(s) of endpoint config {config_name}: {', '.join(loaded)}")
    except ContainerError as exc:
        failure = str(exc)
    except Exception as exc:
        failure = f"{type(exc).__name__}: {exc}"
    if failure:
        shipper.add(failure)
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        updating = endpoint.endpoint_status == "Updating"
        if failure:
            endpoint.endpoint_status = "InService" if updating else "Failed"
            endpoint.failure_reason = (f"Update failed: {failure}" if updating else failure)[:1024]
        else:
            endpoint.endpoint_config_name = config_name
            describe_config(endpoint, backend.endpoint_configs[config_name])
            endpoint.endpoint_status = "InService"
            endpoint.failure_reason = None
        endpoint.last_modified_time = now
    events.endpoint_changed(backend, endpoint_name)


class SandboxRuntimeBackend(RuntimeBackend):  # type: ignore[misc, valid-type]
    """sagemaker-runtime invoke_endpoint answered by the endpoint's loaded models."""

    def invoke_endpoint_with_request(self, endpoint_name: str, body: bytes, content_type: str | None,
                                     accept: str | None, target_variant: str | None,
                                     custom_attributes: str | None, inference_id: str | None,
                                     asynchronous: bool = False) -> tuple[bytes, str, str, str | None]:
        backend = common.backend(self.account_id, self.region_name)
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None:
            raise InvalidInput(f"Endpoint {endpoint_name} of account {self.account_id} not found.",
                               code="ValidationError")
        if not asynchronous and getattr(endpoint, "async_inference_config", None):
            raise InvalidInput(f"Endpoint {endpoint_name} is an asynchronous inference endpoint: call "
                               "InvokeEndpointAsync with the request in S3 (InputLocation) instead of InvokeEndpoint.",
                               code="ValidationError")
        if endpoint.endpoint_status not in ("InService", "Updating"):
            raise InvalidInput(f"Endpoint {endpoint_name} of account {self.account_id} is not "
                               f"InService (status {endpoint.endpoint_status}).", code="ValidationError")
        key = serving.endpoint_key(self.account_id, self.region_name, endpoint_name)
        models = serving.LOADED.get(key)
        if models is None:  # after a restart: reload lazily (model_fn is the user's code; the state lock is let go
            # of before LOAD_LOCK is taken, so no thread waits for the state lock while holding LOAD_LOCK)
            with lifecycle.outside_state_lock(), serving.LOAD_LOCK:
                models = serving.LOADED.get(key)
                if models is None:
                    try:
                        models = _load_variants(backend, endpoint_name, endpoint.endpoint_config_name)
                    except ContainerError as exc:
                        raise ServiceError(f"the model could not be loaded: {exc}", code="ModelError") from None
                    serving.LOADED[key] = models
        variants = [v for v in endpoint.production_variants if v["VariantName"] in models]
        if target_variant:
            if target_variant not in models:
                raise InvalidInput(f"Target variant {target_variant} is not part of endpoint "
                                   f"{endpoint_name}.", code="ValidationError")
            variant = target_variant
        else:
            weights = [float(v.get("CurrentWeight", 1.0) or 0.0) for v in variants]
            if not variants or sum(weights) <= 0:
                raise InvalidInput(f"Endpoint {endpoint_name} has no variant with a positive weight.",
                                   code="ValidationError")
            variant = random.choices([v["VariantName"] for v in variants], weights=weights)[0]
        try:
            # the user's inference code may take long or call back into the sandbox (read S3, a DynamoDB table)
            with lifecycle.outside_state_lock():
                out, out_type = models[variant].invoke(body, content_type, accept)
        except serving.ModelError as exc:
            raise ServiceError(f"Received client error (400) from primary with message \"{exc}\". "
                               f"See CloudWatch Logs /aws/sagemaker/Endpoints/{endpoint_name}.",
                               code="ModelError") from None
        config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        capture = (config.data_capture_config if config is not None else None) or {}
        if capture.get("EnableCapture"):
            record_exchange(endpoint_name, variant, capture, body, content_type, out, out_type, inference_id)
        return out, out_type, variant, custom_attributes


def describe_endpoint_config_handler(request: Request) -> dict[str, Any]:
    # a DataCaptureConfig that was not given is left out, as on AWS (moto answered {})
    described = common.backend_of(request).describe_endpoint_config(request.get("EndpointConfigName"))
    return {k: v for k, v in described.items() if k != "DataCaptureConfig" or v}


def update_endpoint_handler(request: Request) -> dict[str, Any]:
    if request.get("RetainAllVariantProperties") or request.get("DeploymentConfig"):
        pass  # accepted; blue/green traffic shifting is immediate in the sandbox
    arn = common.backend_of(request).update_endpoint(request.get("EndpointName"), request.get("EndpointConfigName"))
    return {"EndpointArn": arn}


def invoke_endpoint_handler(request: Request) -> Any:
    """sagemaker-runtime InvokeEndpoint with the request's body and headers (moto hands only a digest on)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    backend = moto_coupling.backend_for("sagemaker-runtime", request.account_id, request.region)
    out, out_type, variant, custom = backend.invoke_endpoint_with_request(
        request.get("EndpointName") or request.path.split("/")[2], request.body, headers.get("content-type"),
        headers.get("accept"), headers.get("x-amzn-sagemaker-target-variant"),
        headers.get("x-amzn-sagemaker-custom-attributes"), headers.get("x-amzn-sagemaker-inference-id"))
    response_headers = {"Content-Type": out_type, "x-Amzn-Invoked-Production-Variant": variant}
    if custom:
        response_headers["X-Amzn-SageMaker-Custom-Attributes"] = custom
    return 200, response_headers, out
