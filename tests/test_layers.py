"""The layout's one-way dependencies, checked on the source: every import of a project module
(at the top, inside a function or under TYPE_CHECKING) must point down the declared order, no
two modules may import each other through any path, and a package's __init__ imports nothing.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "ingest", "vectorstore", "prompts")

# Lowest first. A module may import its own layer's modules and anything below; never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("assistant.core",),
    ("ingest", "vectorstore", "prompts", "assistant.llm", "assistant.export",
     "assistant.access"),
    ("assistant.documents",),
    ("assistant.answer",),
    ("assistant.staff", "assistant.evaluation"),
    ("assistant.services",),
    ("assistant.webui",),
    ("assistant.cli", "ui"),
)
# Within a layer, groups stay apart, except these edges (importer group, imported group).
SIDEWAYS = {("assistant.cli", "ui")}  # `policyqa serve` starts the page
ONLY = {  # third-party packages only one part of the project may import
    "gradio": ("ui",),
    "chromadb": ("vectorstore",),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")] + [ROOT / "ui.py"]
    return {module_name(p): p for p in files}


MODULES = project_modules()


def imported_names(path: Path) -> list[str]:
    """Every module name an import statement of the file names (absolute imports only)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            names += [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
    return names


def project_edges() -> set[tuple[str, str]]:
    edges = set()
    for name, path in MODULES.items():
        for target in imported_names(path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add((name, target))
    return edges


EDGES = project_edges()


def group_of(module: str) -> tuple[int, str]:
    """(layer index, group) of a module: the longest declared prefix wins; the top-level
    packages' own (empty) __init__ files sit at the bottom."""
    if module in ("assistant", "ingest", "vectorstore"):
        return 0, module
    found = [(len(g), i, g) for i, layer in enumerate(LAYERS) for g in layer
             if module == g or module.startswith(g + ".")]
    assert found, f"{module} is in no layer: add it to LAYERS in tests/test_layers.py"
    _, index, group = max(found)
    return index, group


def test_every_module_has_a_layer():
    for module in MODULES:
        group_of(module)


def violation(source: str, target: str) -> str:
    (low, group), (high, other) = group_of(source), group_of(target)
    if high > low:
        return f"{source} imports {target}, which sits above it"
    if high == low and group != other and (group, other) not in SIDEWAYS:
        return f"{source} imports {target} from a sibling group of its layer"
    return ""


def test_imports_point_down():
    found = [v for a, b in sorted(EDGES) if (v := violation(a, b))]
    assert not found, "\n".join(found)


def test_the_layer_rule_refuses_upward_and_sideways_edges():
    assert violation("vectorstore.hybrid", "assistant.answer.relevance")
    assert violation("ingest.pipeline", "vectorstore.knowledge_base")
    assert violation("assistant.answer.chain", "assistant.services")
    assert not violation("ui", "assistant.webui.chat")
    assert not violation("assistant.cli.commands", "ui")


def test_no_import_cycles():
    graph = defaultdict(set)
    for a, b in EDGES:
        graph[a].add(b)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])


def test_package_inits_import_no_project_module():
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            found = [t for s, t in EDGES if s == name]
            assert not found, f"{path.relative_to(ROOT)} imports {found}: import the module itself"


def test_heavy_libraries_stay_in_their_room():
    for name, path in MODULES.items():
        for target in imported_names(path):
            top = target.split(".")[0]
            if top in ONLY:
                allowed = ONLY[top]
                assert any(name == a or name.startswith(a + ".") for a in allowed), (
                    f"{name} imports {top}; only {', '.join(allowed)} may")


def test_the_layer_check_sees_real_edges():
    """The checker itself: it must find imports inside functions and TYPE_CHECKING blocks."""
    assert ("assistant.cli.main", "assistant.cli.commands") in EDGES  # inside _run()
    assert ("assistant.services", "vectorstore.knowledge_base") in EDGES  # lazy, in a property
    assert ("assistant.webui.chat", "assistant.services") in EDGES  # TYPE_CHECKING only
    assert len(MODULES) > 60
