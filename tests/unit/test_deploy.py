"""The container set-ups run the same commands as the Procfile, for every registered process,
and the manifests hold what an ops team's linters (kube-score) ask of them."""
import pathlib
import re
import shlex

import yaml

from commonplace import config, registry

ROOT = pathlib.Path(__file__).resolve().parents[2]


def procfile_commands():
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        words = [w for w in shlex.split(command) if w != "env" and "=" not in w]
        commands[name.strip()] = words
    return commands


def test_every_registered_process_is_in_the_procfile_compose_kubernetes_and_prometheus():
    names = set(registry.names())
    assert set(procfile_commands()) == names
    for name, command in procfile_commands().items():
        assert command == ["commonplace", "run", name]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert names <= set(compose)
    kinds = manifests()
    assert set(kinds["Deployment"]) == names and set(kinds["PodDisruptionBudget"]) == names
    for process in registry.processes():
        scaler = "HorizontalPodAutoscaler" if process.scaled_on == "cpu" else "ScaledObject"
        assert process.name in kinds[scaler], (process.name, scaler)
    scraped = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())["scrape_configs"]}
    defaults = config.load({})
    for process in registry.processes():
        address = defaults[process.address_setting] if process.address_setting else defaults["GATEWAY_ADDRESS"]
        port = process.metrics_port or int(address.rpartition(":")[2])
        assert scraped.get(process.name) == [f"{process.name}:{port}"], process.name
        if process.metrics_port:
            assert procfile_environments()[process.name]["METRICS_PORT"] == str(port)


def test_compose_runs_each_procfile_process():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, command in procfile_commands().items():
        assert compose["services"][name]["command"] == command


def procfile_environments():
    return {line.partition(":")[0].strip(): dict(word.split("=", 1) for word in shlex.split(line.partition(":")[2])
                                                 if "=" in word)
            for line in (ROOT / "Procfile").read_text().splitlines()}


def manifests():
    documents = list(yaml.safe_load_all((ROOT / "deploy/k8s/platform.yaml").read_text()))
    by_kind = {}
    for document in documents:
        by_kind.setdefault(document["kind"], {})[document["metadata"]["name"]] = document
    return by_kind


def _container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_kubernetes_deploys_each_procfile_process():
    deployments = manifests()["Deployment"]
    assert set(deployments) == set(procfile_commands())
    for name, command in procfile_commands().items():
        assert _container(deployments[name])["command"] == command


def test_every_pod_is_probed_sized_drained_and_kept_through_disruptions():
    kinds = manifests()
    for name, deployment in kinds["Deployment"].items():
        container = _container(deployment)
        readiness = container["readinessProbe"]["exec"]["command"]
        assert readiness[:3] == ["commonplace", "probe", name] and name in registry.names()
        assert container["readinessProbe"]["timeoutSeconds"] > float(readiness[readiness.index("--timeout") + 1])
        # Liveness asks the process alone: a broker outage must not restart every pod.
        assert container["livenessProbe"]["exec"]["command"] == ["commonplace", "probe", name, "--alive"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory", "ephemeral-storage"} <= set(container["resources"][bound]), (name, bound)
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        budget = kinds["PodDisruptionBudget"][name]["spec"]
        assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert budget["minAvailable"] < _least_replicas(kinds, name)


def _least_replicas(kinds, name):
    scaled = kinds.get("ScaledObject", {}).get(name)
    return scaled["spec"]["minReplicaCount"] if scaled else kinds["HorizontalPodAutoscaler"][name]["spec"]["minReplicas"]


def test_pods_are_what_kube_score_asks_for():
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE).group(1)
    kinds = manifests()
    for name, deployment in kinds["Deployment"].items():
        # The autoscalers own the replica count: a fixed one beside them is reset by every apply.
        assert "replicas" not in deployment["spec"], name
        pod = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        assert container["image"] == f"commonplace:{version}" and container["imagePullPolicy"] == "Always"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 10000 and pod["securityContext"]["runAsGroup"] > 10000
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "privileged": False, "capabilities": {"drop": ["ALL"]}}
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # the heartbeat's room
        (spread,) = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        assert spread["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        assert spread["podAffinityTerm"]["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        policies = [policy["spec"] for policy in kinds["NetworkPolicy"].values()
                    if policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()]
        assert policies and all("Ingress" in policy["policyTypes"] for policy in policies), name
    user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "deploy/Dockerfile").read_text(), re.MULTILINE)
    assert user and int(user.group(1)) == 10001  # the image runs as the user the pods require


def test_manifest_settings_are_the_platforms_and_match_the_procfile():
    from commonplace.config import SETTINGS

    environments = procfile_environments()
    for name, deployment in manifests()["Deployment"].items():
        container = _container(deployment)
        env = {variable["name"]: variable["value"] for variable in container.get("env", [])}
        assert set(env) <= set(SETTINGS), set(env) - set(SETTINGS)
        config.load(env)  # every value is one the platform accepts
        for variable, value in environments[name].items():
            assert env.get(variable) == value, (name, variable)
        port = env.get("METRICS_PORT") or env.get("GATEWAY_ADDRESS", env.get("WEB_ADDRESS", ":")).rpartition(":")[2]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == port
        assert int(port) in [p["containerPort"] for p in container["ports"]]
        assert env["AMQP_QUEUE_TYPE"] == "quorum"


def test_knowledge_searches_an_opensearch_named_by_uri_in_compose_and_kubernetes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    host = re.match(r"^http://([\w-]+):9200$", compose["knowledge"]["environment"]["SEARCH_URI"]).group(1)
    assert host in compose and "opensearch" in compose[host]["image"]
    assert compose["knowledge"]["depends_on"][host] == {"condition": "service_healthy"}
    # In Kubernetes it is outside the manifests, like MongoDB: a URI in the Secret every pod reads.
    header = (ROOT / "deploy/k8s/platform.yaml").read_text().split("---")[0]
    assert "SEARCH_URI" in header
    assert {"secretRef": {"name": "commonplace"}} in _container(manifests()["Deployment"]["knowledge"])["envFrom"]


def test_consumers_scale_on_their_own_queues_and_the_gateway_on_cpu():
    from commonplace.dead_letters import handler_queues

    kinds = manifests()
    queues = {p.name: [f"rpc-{p.name}"] + handler_queues([p.service_class()])
              for p in registry.processes() if p.scaled_on == "queues"}
    for name, own in queues.items():
        scaled = kinds["ScaledObject"][name]["spec"]
        assert scaled["scaleTargetRef"]["name"] == name
        (trigger,) = scaled["triggers"]
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["useRegex"] == "true"
        pattern = re.compile(trigger["metadata"]["queueName"])
        assert all(pattern.match(queue) for queue in own), name
        others = [queue for other, names in queues.items() if other != name for queue in names]
        assert not any(pattern.match(queue) for queue in others), name
    for process in registry.processes():
        if process.scaled_on == "cpu":
            autoscaler = kinds["HorizontalPodAutoscaler"][process.name]["spec"]
            assert autoscaler["scaleTargetRef"]["name"] == process.name
            assert autoscaler["metrics"][0]["resource"]["name"] == "cpu"
            assert process.name not in kinds["ScaledObject"]


def test_dashboard_queries_only_metrics_the_platform_exports():
    import json

    from prometheus_client import REGISTRY

    import commonplace.metrics  # noqa: F401 - registers the platform's metrics

    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    exported = {family.name + suffix for family in REGISTRY.collect()
                for suffix in suffixes.get(family.type, ("",))}
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/commonplace.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\b(commonplace_[a-z_]+)", target["expr"])}
    assert queried and queried <= exported, queried - exported


def test_the_readme_configuration_table_lists_every_setting():
    from commonplace.config import SETTINGS

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration"):]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))
    assert documented == set(SETTINGS), (set(SETTINGS) - documented, documented - set(SETTINGS))
