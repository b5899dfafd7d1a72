"""The container set-ups run the same commands as the Procfile, for every service."""
import pathlib
import re
import shlex

import yaml

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


def test_kubernetes_deploys_each_procfile_process():
    documents = list(yaml.safe_load_all((ROOT / "deploy/k8s/platform.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    for name, command in procfile_commands().items():
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == command


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
