"""One Ray per process: connect to a cluster, or start a small embedded one.

Every part that uses Ray (the LLM stack: deploy, the Spark UDF inside Spark's Python workers, the HTTP
server, fine-tuning jobs; Byzer-python: the code process, the data servers, the Spark tasks that feed
them) calls ``ensure_ray`` first. It is idempotent and thread-safe; the address it returns is the GCS
address any other process on the machine (or cluster) can pass back to ``ensure_ray``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

NAMESPACE = "byzer"
ADDRESS_ENV = "BYZER_RAY_ADDRESS"
# Logical CPU slots of the embedded Ray. Model workers reserve slots, not cores, so a small machine still
# hosts a couple of workers plus a fine-tuning job; override with BYZER_RAY_NUM_CPUS.
NUM_CPUS_ENV = "BYZER_RAY_NUM_CPUS"
# The address the embedded Ray's processes bind to: loopback unless set (a cluster joins by address).
NODE_IP_ENV = "BYZER_RAY_NODE_IP"
# Plasma store of the embedded Ray: requests and responses are small JSON, so a modest store suffices.
OBJECT_STORE_ENV = "BYZER_RAY_OBJECT_STORE_MB"

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Ray turns a loopback node address into the machine's outward one (and its servers then listen on every
# interface) unless it believes it runs a single-machine Ray; this variable says so.
_SINGLE_MACHINE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

_lock = threading.Lock()


def _embedded_num_cpus() -> int:
    configured = os.environ.get(NUM_CPUS_ENV)
    if configured:
        return max(1, int(configured))
    return max(4, os.cpu_count() or 1)


def _object_store_bytes() -> int:
    return int(os.environ.get(OBJECT_STORE_ENV, "512")) * 1024 * 1024


def _token_available() -> bool:
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.join(
        os.path.expanduser("~"), ".ray", "auth_token"
    )
    return os.path.isfile(path)


def _match_token_auth() -> None:
    """A Ray started here turns token authentication on and writes the token to ~/.ray/auth_token, but
    a process that only connects (a Spark Python worker, the server) does not look for it unless told."""
    if "RAY_AUTH_MODE" in os.environ or not _token_available():
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    try:
        # Ray caches its configuration when imported; refresh it so this process sees the new mode.
        from ray._raylet import Config  # type: ignore[attr-defined]

        Config.initialize("")
    except (ImportError, AttributeError):
        pass


def _keep_on_loopback() -> None:
    """An embedded Ray on loopback stays there: every Ray process (they inherit the environment) keeps
    127.0.0.1 as the node address, so GCS, raylet, workers and agents listen on loopback only."""
    os.environ[_SINGLE_MACHINE_ENV] = "0"
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


def _host(address: str) -> str:
    """The host part of ``host:port`` (or of ``ray://host:port``; ``[::1]:port`` for IPv6)."""
    rest = address.split("://", 1)[-1]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if ":" in rest else rest


def requested_address(config: Any, setting: str | None = None) -> str | None:
    """The one answer to "which Ray does this script use": its own ``rayAddress`` setting, else the
    engine's (``EngineConfig`` merged ``--ray-address`` and ``BYZER_RAY_ADDRESS``), else the variable
    itself (an engine built without ``EngineConfig.load``); None: the embedded one."""
    return setting or getattr(config, "ray_address", None) or os.environ.get(ADDRESS_ENV) or None


def current_address() -> str | None:
    """The GCS address of the Ray this process is connected to, or None."""
    import ray

    if not ray.is_initialized():
        return None
    address: str | None = ray.get_runtime_context().gcs_address
    return address


def ensure_ray(address: str | None = None) -> str:
    """Connect to ``address`` (else ``$BYZER_RAY_ADDRESS``), or start one embedded Ray for this process.

    Returns the GCS address (``host:port``). A process already connected keeps its connection.
    """
    # Ray reports usage to a remote endpoint unless told not to; this machine has no internet.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    with _lock:
        if ray.is_initialized():
            return str(ray.get_runtime_context().gcs_address)
        target = address or os.environ.get(ADDRESS_ENV) or None
        if target:
            _match_token_auth()
            if _host(target) in LOOPBACK:
                # A process that only connects (a Spark Python worker started before this process
                # chose loopback) would otherwise turn 127.0.0.1 into the machine's outward address.
                _keep_on_loopback()
            ray.init(
                address=target,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        else:
            node_ip = os.environ.get(NODE_IP_ENV, "127.0.0.1")
            if node_ip in LOOPBACK:
                _keep_on_loopback()
            ray.init(
                num_cpus=_embedded_num_cpus(),
                object_store_memory=_object_store_bytes(),
                # Byzer clusters mark their head node with a "master" resource that scripts may ask for
                # (!byzerllm setup "resources.master=0.001"); the embedded Ray is that head.
                resources={"master": 1000.0},
                include_dashboard=False,
                _node_ip_address=node_ip,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        return str(ray.get_runtime_context().gcs_address)


def join_if_available(address: str | None) -> bool:
    """Connect to ``address`` if one is configured, or keep the Ray this process already runs; never
    starts an embedded Ray (listing models must not start a cluster just to say there are none)."""
    import ray

    if address is None and not ray.is_initialized():
        return False
    ensure_ray(address)
    return True


def shutdown_ray() -> None:
    """Disconnect (and stop the embedded Ray, with its detached actors, when this process started it)."""
    import ray

    with _lock:
        if ray.is_initialized():
            ray.shutdown()
