"""The gateway depends on each service's public contract only: its schemas."""
import ast
import pathlib

GATEWAY = pathlib.Path(__file__).resolve().parents[2] / "gateway"


def _service_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "services":
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names if alias.name.split(".")[0] == "services")


def test_gateway_imports_nothing_of_a_service_but_its_schemas():
    offending = []
    for path in GATEWAY.rglob("*.py"):
        for module, names in _service_imports(path):
            parts = module.split(".")
            public = (len(parts) == 3 and parts[2] == "schemas") or (
                len(parts) == 2 and names == ["schemas"])
            if not public:
                offending.append(f"{path.relative_to(GATEWAY.parent)}: {module} {names}")
    assert offending == []


def test_every_route_file_is_composed_into_the_gateway():
    from gateway.routes import Routes, route_classes
    from gateway.service import GatewayService

    modules = {p.stem for p in (GATEWAY / "routes").glob("*.py") if p.stem != "__init__"}
    classes = route_classes()
    assert {cls.__module__.rsplit(".", 1)[1] for cls in classes} == modules
    assert all(issubclass(GatewayService, cls) for cls in classes)
    assert issubclass(GatewayService, Routes)
