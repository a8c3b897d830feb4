"""Kubernetes manifests: render, validate, and check what every workload must carry.

Rendered by the real ``kubectl kustomize`` (see conftest), validated against the current
Kubernetes schema with kubernetes-validate in strict mode, then checked for the probes,
limits, security context, autoscaling, disruption budgets and network policies the design asks
for; the network policies are evaluated as the API defines them, call by call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared.config import load_settings
from tests.deploy.manifests import (
    GRPC_SERVICES,
    K8S,
    OVERLAYS,
    SETTINGS,
    STATELESS,
    Rendered,
    allowed_env,
    kustomize,
)

APP = "app.kubernetes.io/name"


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _app_container(rendered: Rendered, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = rendered.get("Deployment", name)
    containers = {c["name"]: c for c in _pod_spec(deployment)["containers"]}
    assert name in containers, f"{rendered.name}: Deployment {name} has no container {name}"
    return deployment, containers[name]


def _port(container: dict[str, Any], name: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    assert name in ports, f"container {container['name']} declares no port named {name}"
    return ports[name]


def _settings(rendered: Rendered, name: str) -> Any:
    deployment, container = _app_container(rendered, name)
    return load_settings(SETTINGS[name], rendered.container_env(deployment, container))


# --------------------------------------------------------------------------------------------
# Rendering and schema
# --------------------------------------------------------------------------------------------
def test_dev_overlay_renders_from_the_repository_as_it_is() -> None:
    """dev needs no secret files: it renders straight from the checkout."""
    docs = kustomize(K8S / "overlays" / "dev")
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} >= set(SETTINGS)


def test_prod_overlay_refuses_to_render_without_its_secret_files(tmp_path: Path) -> None:
    """Secrets never come from the repository: without the operator's files prod fails."""
    import shutil
    import subprocess

    from tests.deploy.manifests import SECRET_FILES, require_kubectl

    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns(*SECRET_FILES))
    proc = subprocess.run([require_kubectl(), "kustomize", str(copy / "overlays" / "prod")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0
    assert "secrets/" in proc.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_manifests_pass_kubernetes_validate_strict(
        rendered: dict[str, Rendered], overlay: str) -> None:
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate is not installed: pip install "
                    "'kubernetes-validate>=1.37,<2'")
    version = kubernetes_validate.latest_version()
    assert tuple(int(x) for x in version.split(".")[:2]) >= (1, 33), version
    problems = []
    for doc in rendered[overlay].docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} "
                            f"at {'.'.join(str(p) for p in exc.path)}")
    assert not problems, "\n".join(problems)


def test_prod_overlay_has_every_kind_the_design_asks_for(rendered: dict[str, Rendered]) -> None:
    kinds = {d["kind"] for d in rendered["prod"].docs}
    assert kinds >= {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Secret",
                     "StatefulSet"}


# --------------------------------------------------------------------------------------------
# Every workload: probes, limits, security context
# --------------------------------------------------------------------------------------------
def _workloads(rendered: Rendered) -> list[dict[str, Any]]:
    return rendered.of_kind("Deployment") + rendered.of_kind("StatefulSet")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_limits_and_a_locked_down_security_context(
        rendered: dict[str, Rendered], overlay: str) -> None:
    workloads = _workloads(rendered[overlay])
    assert len(workloads) >= len(SETTINGS) + 1  # the services and Redis
    for workload in workloads:
        where = f"{overlay}: {workload['kind']}/{workload['metadata']['name']}"
        spec = _pod_spec(workload)
        pod_sc = spec.get("securityContext", {})
        assert pod_sc.get("runAsNonRoot") is True, where
        assert pod_sc.get("runAsUser", 0) != 0, where
        assert spec.get("automountServiceAccountToken") is False, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            cwhere = f"{where} container {container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert set(resources.get(kind, {})) >= {"cpu", "memory"}, f"{cwhere}: {kind}"
            sc = container.get("securityContext", {})
            assert sc.get("allowPrivilegeEscalation") is False, cwhere
            assert sc.get("readOnlyRootFilesystem") is True, cwhere
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], cwhere
            assert not sc.get("capabilities", {}).get("add"), cwhere
            assert sc.get("privileged") in (None, False), cwhere
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, cwhere
            seccomp = sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}
            assert seccomp.get("type") == "RuntimeDefault", cwhere
            assert "livenessProbe" in container or container in spec.get("initContainers", []), \
                cwhere


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_have_native_grpc_probes_on_their_health_port(
        rendered: dict[str, Rendered], overlay: str) -> None:
    for name in GRPC_SERVICES:
        _, container = _app_container(rendered[overlay], name)
        settings = _settings(rendered[overlay], name)
        assert settings.health_port > 0, f"{name}: no plain-text health port for the probes"
        assert _port(container, "grpc-health") == settings.health_port
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == settings.health_port, (name, probe)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_console_probes_its_healthz_over_http(rendered: dict[str, Rendered], overlay: str) -> None:
    _, container = _app_container(rendered[overlay], "console")
    settings = _settings(rendered[overlay], "console")
    assert _port(container, "http") == settings.bind_port()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert get["port"] in ("http", settings.bind_port())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_root_filesystem_is_read_only_with_an_empty_dir_for_tmp(
        rendered: dict[str, Rendered], overlay: str) -> None:
    for name in SETTINGS:
        deployment, container = _app_container(rendered[overlay], name)
        volumes = {v["name"]: v for v in _pod_spec(deployment).get("volumes", [])}
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert len(tmp) == 1, name
        assert "emptyDir" in volumes[tmp[0]["name"]], name


# --------------------------------------------------------------------------------------------
# Services, autoscaling, disruption budgets
# --------------------------------------------------------------------------------------------
def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_service_on_its_port(rendered: dict[str, Rendered], overlay: str
                                                 ) -> None:
    r = rendered[overlay]
    for name in SETTINGS:
        deployment, container = _app_container(r, name)
        service = r.get("Service", name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects({"matchLabels": service["spec"]["selector"]}, labels), name
        container_ports = {p["name"] for p in container["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in container_ports, (name, port)
        front = service["spec"]["ports"][0]
        assert front["port"] == _settings(r, name).bind_port(), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_stateless_services_scale_on_cpu_and_redis_does_not(
        rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in r.of_kind("HorizontalPodAutoscaler")}
    assert set(hpas) == set(STATELESS)
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        r.get("Deployment", name)
        cpu = [m for m in hpa["spec"]["metrics"]
               if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
        assert cpu and cpu[0]["resource"]["target"]["type"] == "Utilization", name
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"] >= 1, name
        if overlay == "prod":
            assert hpa["spec"]["minReplicas"] >= 2, f"{name}: one replica is no HA"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_a_disruption_budget_that_allows_a_drain(
        rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    pdbs = r.of_kind("PodDisruptionBudget")
    for workload in _workloads(r):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in pdbs if _selects(p["spec"]["selector"], labels)]
        if workload["metadata"]["name"] == "redis" and overlay == "dev":
            continue  # one throw-away Redis: a budget would only block node drains
        assert len(mine) == 1, f"{overlay}: {workload['metadata']['name']} has {len(mine)} PDBs"
        # maxUnavailable >= 1 lets a node drain go on at any replica count
        assert mine[0]["spec"].get("maxUnavailable", 0) >= 1, workload["metadata"]["name"]


# --------------------------------------------------------------------------------------------
# Network policies, evaluated call by call
# --------------------------------------------------------------------------------------------
class Network:
    """Whether the rendered NetworkPolicies let a TCP/UDP call through (namespace scoped)."""

    def __init__(self, rendered: Rendered) -> None:
        self.policies = rendered.of_kind("NetworkPolicy")
        self.namespace = rendered.get("Namespace", rendered.of_kind("Namespace")[0]["metadata"][
            "name"])["metadata"]["name"]
        self.pods = {w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
                     for w in _workloads(rendered)}

    def _peer_ok(self, peers: list[dict[str, Any]] | None, labels: dict[str, str],
                 namespace: str) -> bool:
        if not peers:
            return True
        ns_labels = {"kubernetes.io/metadata.name": namespace}
        for peer in peers:
            ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
            if ns_sel is None:
                if namespace == self.namespace and _selects(pod_sel or {}, labels):
                    return True
            elif _selects(ns_sel, ns_labels) and _selects(pod_sel or {}, labels):
                return True
        return False

    @staticmethod
    def _port_ok(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
        if not ports:
            return True
        return any(p.get("port") in (None, port) and p.get("protocol", "TCP") == protocol
                   for p in ports)

    def _side(self, direction: str, subject: dict[str, str], other: dict[str, str],
              other_ns: str, port: int, protocol: str) -> bool:
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        applying = [p for p in self.policies
                    if direction in p["spec"].get("policyTypes", ["Ingress"])
                    and _selects(p["spec"]["podSelector"], subject)]
        if not applying:
            return True
        return any(self._peer_ok(rule.get(peers_key), other, other_ns)
                   and self._port_ok(rule.get("ports"), port, protocol)
                   for p in applying for rule in p["spec"].get(key, []))

    def allows(self, src: dict[str, str], dst: dict[str, str], port: int, *,
               src_ns: str | None = None, dst_ns: str | None = None,
               protocol: str = "TCP") -> bool:
        src_ns, dst_ns = src_ns or self.namespace, dst_ns or self.namespace
        ok = True
        if dst_ns == self.namespace:
            ok &= self._side("Ingress", dst, src, src_ns, port, protocol)
        if src_ns == self.namespace:
            ok &= self._side("Egress", src, dst, dst_ns, port, protocol)
        return ok


GRPC_PORTS = {"gateway": 50051, "state": 50052, "generator": 50053, "vision": 50054,
              "voice": 50055}
INTERNAL = ("state", "generator", "vision", "voice")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default(rendered: dict[str, Rendered], overlay: str) -> None:
    deny = [p for p in rendered[overlay].of_kind("NetworkPolicy")
            if p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {
                "Ingress", "Egress"} and not p["spec"].get("ingress") and not p["spec"].get(
                "egress")]
    assert deny, "no default-deny policy"
    net = Network(rendered[overlay])
    stranger = {APP: "stranger"}
    for name, labels in net.pods.items():
        assert not net.allows(labels, stranger, 443), f"{name} may call anything"
        assert not net.allows(labels, {}, 443, dst_ns="elsewhere"), f"{name} may leave"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_reaches_the_internal_services(rendered: dict[str, Rendered],
                                                        overlay: str) -> None:
    net = Network(rendered[overlay])
    for dst in INTERNAL:
        for src, labels in net.pods.items():
            expected = src == "gateway"
            assert net.allows(labels, net.pods[dst], GRPC_PORTS[dst]) is expected, (src, dst)
        assert not net.allows({APP: "client"}, net.pods[dst], GRPC_PORTS[dst])
        assert not net.allows({}, net.pods[dst], GRPC_PORTS[dst], src_ns="ingress-nginx")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_state_and_gateway_reach_redis(rendered: dict[str, Rendered], overlay: str) -> None:
    net = Network(rendered[overlay])
    for src, labels in net.pods.items():
        for port in (6379, 26379):
            expected = src in ("state", "gateway", "redis")  # redis: replication, Sentinel
            assert net.allows(labels, net.pods["redis"], port) is expected, (src, port)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_and_console_are_reachable_from_the_namespace_and_the_ingress(
        rendered: dict[str, Rendered], overlay: str) -> None:
    net = Network(rendered[overlay])
    for dst, port in (("gateway", 50051), ("console", 8080)):
        # ingress side only: a client pod's own egress is its owner's business
        assert net._side("Ingress", net.pods[dst], {APP: "client"}, net.namespace, port, "TCP")
        assert net.allows({}, net.pods[dst], port, src_ns="ingress-nginx")
        assert not net.allows({}, net.pods[dst], port, src_ns="elsewhere")
    assert net.allows(net.pods["console"], net.pods["gateway"], 50051)
    for dst in ("state", "generator", "vision", "voice", "redis"):
        port = GRPC_PORTS.get(dst, 6379)
        assert not net.allows(net.pods["console"], net.pods[dst], port), dst


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_resolves_names_and_exposes_metrics_to_monitoring_only(
        rendered: dict[str, Rendered], overlay: str) -> None:
    net = Network(rendered[overlay])
    dns = {"k8s-app": "kube-dns"}
    for name, labels in net.pods.items():
        assert net.allows(labels, dns, 53, dst_ns="kube-system", protocol="UDP"), name
    for name in GRPC_SERVICES:
        port = _settings(rendered[overlay], name).bind_metrics_port()
        assert net.allows({}, net.pods[name], port, src_ns="monitoring"), name
        assert not net.allows({}, net.pods[name], port, src_ns="elsewhere"), name


# --------------------------------------------------------------------------------------------
# Settings: env names the services read, values they accept, addresses that exist
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_env_names_are_settings_the_services_read(rendered: dict[str, Rendered],
                                                  overlay: str) -> None:
    r = rendered[overlay]
    for name in SETTINGS:
        deployment, container = _app_container(r, name)
        env = r.container_env(deployment, container)
        allowed = allowed_env(name)
        declared = {e["name"]: e for e in container.get("env", [])}
        if "$(REDIS_PASSWORD)" in declared.get("REDIS_URL", {}).get("value", ""):
            allowed = allowed | {"REDIS_PASSWORD"}  # only there to build REDIS_URL
        unknown = sorted(set(env) - allowed)
        assert not unknown, f"{overlay}/{name} sets variables it never reads: {unknown}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_accepts_its_settings_and_listens_where_kubernetes_looks(
        rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    for name in SETTINGS:
        _, container = _app_container(r, name)
        settings = _settings(r, name)  # a ConfigError here is a bad value
        settings.check_transport()
        assert settings.host == "0.0.0.0", f"{name} would listen on loopback only"
        assert container["args"] == ["serve", name]
        if name in GRPC_SERVICES:
            assert _port(container, "grpc") == settings.bind_port()
            assert _port(container, "metrics") == settings.bind_metrics_port()
        assert str(settings.models_dir) == "/opt/finadvisor/models"
        if overlay == "dev":
            assert settings.insecure and settings.tls_dir is None
        else:
            assert not settings.insecure and settings.tls_dir is not None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_addresses_point_at_services_that_exist(rendered: dict[str, Rendered],
                                                        overlay: str) -> None:
    r = rendered[overlay]
    gateway = _settings(r, "gateway")
    targets = {"state": gateway.state_addr, "generator": gateway.generator_addr,
               "vision": gateway.vision_addr, "voice": gateway.voice_addr,
               "gateway": _settings(r, "console").gateway_addr}
    for name, addr in targets.items():
        host, _, port = addr.rpartition(":")
        service = r.get("Service", host)
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}, addr
        assert int(port) == _settings(r, name).bind_port(), addr


def test_prod_mounts_tls_and_credentials_where_the_settings_read_them(
        rendered: dict[str, Rendered], tmp_path: Path) -> None:
    from finadvisor.shared.security import CredentialStore, TlsFiles

    r = rendered["prod"]
    for name in SETTINGS:
        deployment, container = _app_container(r, name)
        settings = _settings(r, name)
        mounts = r.mounted_secret_keys(deployment, container)
        tls_files = mounts.get(str(settings.tls_dir))
        assert tls_files is not None, f"{name}: nothing mounted at {settings.tls_dir}"
        expected = {"ca.pem"} if name == "console" else {"ca.pem", f"{name}.pem",
                                                         f"{name}-key.pem"}
        assert tls_files == expected, name
        mount = next(m for m in container["volumeMounts"]
                     if m["mountPath"] == str(settings.tls_dir))
        assert mount.get("readOnly") is True
    # The files load as the services load them, and the console's key opens the gateway.
    deployment, container = _app_container(r, "gateway")
    gateway = _settings(r, "gateway")
    assert gateway.credentials_file.name in r.mounted_secret_keys(deployment, container)[
        str(gateway.credentials_file.parent)]
    deployment, container = _app_container(r, "console")
    console = _settings(r, "console")
    assert console.api_key_file.name in r.mounted_secret_keys(deployment, container)[
        str(console.api_key_file.parent)]
    secrets = {s["metadata"]["name"].rsplit("-", 1)[0]: s["metadata"]["name"]
               for s in r.of_kind("Secret")}
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    for key, value in r.secret_data(secrets["finadvisor-tls-gateway"]).items():
        (tls_dir / key).write_bytes(value)
    assert TlsFiles.load(tls_dir, "gateway").key.startswith(b"-----BEGIN")
    clients = tmp_path / "clients.json"
    clients.write_bytes(r.secret_data(secrets["finadvisor-credentials"])["clients.json"])
    key = r.secret_data(secrets["finadvisor-console-api-key"])["analyst.key"].decode().strip()
    client = CredentialStore.load(clients).authenticate(f"Bearer {key}")
    assert "analyst" in client.roles
    assert json.loads(clients.read_text())["clients"]


def test_prod_redis_is_sentinel_ha_with_persistence(rendered: dict[str, Rendered]) -> None:
    r = rendered["prod"]
    redis = r.get("StatefulSet", "redis")
    assert redis["spec"]["replicas"] >= 3
    containers = {c["name"]: c for c in _pod_spec(redis)["containers"]}
    assert set(containers) == {"redis", "sentinel"}
    claims = {c["metadata"]["name"]: c for c in redis["spec"]["volumeClaimTemplates"]}
    assert "data" in claims
    assert {"mountPath": "/data", "name": "data"}.items() <= next(
        m for m in containers["redis"]["volumeMounts"] if m["name"] == "data").items()
    master_name = next(e["value"] for e in containers["sentinel"]["env"]
                       if e["name"] == "MASTER_NAME")
    script = r.get("ConfigMap", "redis-scripts")["data"]["configure.sh"]
    assert "appendonly yes" in script and "sentinel monitor ${MASTER_NAME}" in script
    assert not [d for d in r.of_kind("Deployment") if d["metadata"]["name"] == "redis"]

    for name in ("state", "gateway"):
        deployment, container = _app_container(r, name)
        env = r.container_env(deployment, container)
        config = SessionSettings.from_env(env)
        parts = urlsplit(config.url)
        assert parts.scheme == "rediss+sentinel", name  # TLS: test_k8s_redis_tls.py
        assert parts.path.strip("/") == master_name
        password = r.secret_data(next(
            s["metadata"]["name"] for s in r.of_kind("Secret")
            if s["metadata"]["name"].startswith("finadvisor-redis-")))["password"].decode()
        assert parts.password == password and password.strip() == password
        # The store understands the URL: sentinels at the Service, master by name, password.
        store = RedisStateStore(config)
        sentinel_hosts = {(s.connection_pool.connection_kwargs["host"],
                           s.connection_pool.connection_kwargs["port"])
                          for s in store._sentinel.sentinels}
        assert sentinel_hosts == {("redis-sentinel", 26379)}
        assert store.client.connection_pool.service_name == master_name
        assert store.client.connection_pool.connection_kwargs["password"] == password
        service = r.get("Service", "redis-sentinel")
        assert 26379 in {p["port"] for p in service["spec"]["ports"]}


def test_dev_has_one_redis_without_sentinel(rendered: dict[str, Rendered]) -> None:
    r = rendered["dev"]
    assert not r.of_kind("StatefulSet")
    assert r.get("Deployment", "redis")["spec"]["replicas"] == 1
    for name in ("state", "gateway"):
        deployment, container = _app_container(r, name)
        url = urlsplit(SessionSettings.from_env(r.container_env(deployment, container)).url)
        assert url.scheme == "redis"
        service = r.get("Service", url.hostname)
        assert (url.port or 6379) in {p["port"] for p in service["spec"]["ports"]}
