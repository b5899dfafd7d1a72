"""The container set-ups run the same commands as the Procfile, for every service."""
import pathlib
import re
import shlex

import yaml

from commonplace import config

ROOT = pathlib.Path(__file__).resolve().parents[2]


def procfile_commands():
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        words = [w for w in shlex.split(command) if w != "env" and "=" not in w]
        commands[name.strip()] = words
    return commands


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
    from commonplace.cli import SERVICES

    kinds = manifests()
    for name, deployment in kinds["Deployment"].items():
        container = _container(deployment)
        for probe in ("readinessProbe", "livenessProbe"):
            command = container[probe]["exec"]["command"]
            assert command[:3] == ["commonplace", "probe", name] and name in SERVICES, (name, probe)
            assert container[probe]["timeoutSeconds"] > float(command[command.index("--timeout") + 1])
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        budget = kinds["PodDisruptionBudget"][name]["spec"]
        assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert budget["minAvailable"] < deployment["spec"]["replicas"]


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
        port = env.get("METRICS_PORT") or env.get("GATEWAY_ADDRESS", ":").rpartition(":")[2]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == port
        assert int(port) in [p["containerPort"] for p in container["ports"]]
        assert env["AMQP_QUEUE_TYPE"] == "quorum"


def test_consumers_scale_on_their_own_queues_and_the_gateway_on_cpu():
    from commonplace.cli import SERVICES, service_class
    from commonplace.dead_letters import handler_queues

    kinds = manifests()
    queues = {name: [f"rpc-{name}"] + handler_queues([service_class(name)]) for name in SERVICES if name != "gateway"}
    for name, own in queues.items():
        scaled = kinds["ScaledObject"][name]["spec"]
        assert scaled["scaleTargetRef"]["name"] == name
        (trigger,) = scaled["triggers"]
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["useRegex"] == "true"
        pattern = re.compile(trigger["metadata"]["queueName"])
        assert all(pattern.match(queue) for queue in own), name
        others = [queue for other, names in queues.items() if other != name for queue in names]
        assert not any(pattern.match(queue) for queue in others), name
    autoscaler = kinds["HorizontalPodAutoscaler"]["gateway"]["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == "gateway"
    assert autoscaler["metrics"][0]["resource"]["name"] == "cpu"
    assert "gateway" not in kinds["ScaledObject"]


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
