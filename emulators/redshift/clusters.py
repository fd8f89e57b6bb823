"""Redshift's provisioned clusters on moto's control plane, with the rules Redshift enforces and snapshots
that hold data: a snapshot copies the cluster's databases (DuckDB files), a restore starts from them, and a
deleted cluster's databases are dropped."""

from __future__ import annotations

import re
from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput
from emulators.core.paths import state_path
from emulators.core.server import current_cloud
from emulators.redshift import warehouse


def cluster_identifier_problem(identifier: Any) -> str | None:
    """Why Redshift refuses a cluster identifier (Redshift management guide, "Managing clusters": 1-63
    lowercase letters, digits or hyphens, starting with a letter, no two hyphens in a row, no hyphen at the end)."""
    if not isinstance(identifier, str) or not identifier:
        return "ClusterIdentifier is required."
    if not re.fullmatch(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-))*", identifier) or len(identifier) > 63 \
            or identifier.endswith("-"):
        return (f"Cluster identifier {identifier!r} is not valid: it must contain from 1 to 63 alphanumeric "
                "characters or hyphens, start with a letter, and cannot end with a hyphen or contain two "
                "consecutive hyphens.")
    return None


def password_problem(password: Any) -> str | None:
    """Why Redshift refuses a master user password (8-64 printable ASCII characters with an upper-case letter, a
    lower-case letter and a digit, none of ' \" \\ / @ or space)."""
    if not isinstance(password, str):
        return None
    if not (8 <= len(password) <= 64 and re.search(r"[A-Z]", password) and re.search(r"[a-z]", password)
            and re.search(r"\d", password) and re.fullmatch(r"[!-~]+", password)
            and not re.search(r"['\"\\/@]", password)):
        return ("The parameter MasterUserPassword is not a valid password. Verify that password has 8-64 characters, "
                "at least one uppercase letter, one lowercase letter and one number, and no ' \" \\ / @ or space.")
    return None


def _cluster_folder(account: str, region: str, cluster: str) -> Any:
    return state_path(current_cloud().data_dir("redshift"), f"{account}-{region}", cluster)


def _snapshot_folder(account: str, region: str, snapshot: str) -> Any:
    return state_path(current_cloud().data_dir("redshift"), "snapshots", f"{account}-{region}", snapshot)


class SandboxRedshiftBackend(moto_coupling.backend_class("redshift")):  # type: ignore[misc]
    """moto's Redshift with the rules Redshift enforces on a new cluster (identifier, master password, node
    count), and snapshots that hold the cluster's databases: a restore starts from the snapshot's data, a
    deleted cluster's databases are gone."""

    def create_cluster(self, **cluster_kwargs: Any) -> Any:
        problem = cluster_identifier_problem(cluster_kwargs.get("cluster_identifier")) \
            or password_problem(cluster_kwargs.get("master_user_password"))
        if problem:
            raise InvalidInput(problem, code="InvalidParameterValue")
        nodes = cluster_kwargs.get("number_of_nodes")
        if cluster_kwargs.get("cluster_type") == "multi-node" and (nodes is None or int(nodes) < 2):
            raise InvalidInput("Number of nodes for cluster type multi-node must be greater than or equal to 2",
                               code="InvalidParameterValue")
        cluster = super().create_cluster(**cluster_kwargs)
        warehouse.drop_databases(_cluster_folder(self.account_id, self.region_name, cluster.cluster_identifier))
        return cluster

    def create_cluster_snapshot(self, cluster_identifier: str, snapshot_identifier: str, *args: Any,
                                **kwargs: Any) -> Any:
        snapshot = super().create_cluster_snapshot(cluster_identifier, snapshot_identifier, *args, **kwargs)
        warehouse.copy_databases(_cluster_folder(self.account_id, self.region_name, cluster_identifier),
                                 _snapshot_folder(self.account_id, self.region_name, snapshot_identifier))
        return snapshot

    def restore_from_cluster_snapshot(self, **kwargs: Any) -> Any:
        snapshot = kwargs.get("snapshot_identifier")
        cluster = super().restore_from_cluster_snapshot(**kwargs)
        warehouse.copy_databases(_snapshot_folder(self.account_id, self.region_name, snapshot),
                                 _cluster_folder(self.account_id, self.region_name, cluster.cluster_identifier))
        return cluster

    def delete_cluster(self, **cluster_kwargs: Any) -> Any:
        if cluster_kwargs.get("skip_final_snapshot") is None:  # SkipFinalClusterSnapshot defaults to false
            cluster_kwargs["skip_final_snapshot"] = False
        identifier = cluster_kwargs.get("cluster_identifier")
        cluster = super().delete_cluster(**cluster_kwargs)
        cluster.status = "deleting"  # what DeleteCluster answers; the cluster is gone right after
        warehouse.drop_databases(_cluster_folder(self.account_id, self.region_name, identifier))
        return cluster

    def delete_cluster_snapshot(self, snapshot_identifier: str) -> Any:
        snapshot = super().delete_cluster_snapshot(snapshot_identifier)
        warehouse.drop_databases(_snapshot_folder(self.account_id, self.region_name, snapshot_identifier))
        return snapshot
