"""The package's shape: layers that import only downwards, no cycles, small modules.

The layers read top-down as the pipeline (DESIGN section 5): the scenario, the model, the
metrics, the analysis of tables, the outputs, the experiments, calibration, the planners and,
on top, the command line. Every import is read from the source (function-level ones included,
``TYPE_CHECKING`` ones left out, as they never run), so a new import that goes up a layer, a
cycle hidden inside a function, a private name borrowed from another package or a module that
grew past the limit fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "channelsim"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("channelsim", "channelsim.errors", "channelsim.distributions", "channelsim.randomness",
     "channelsim.theory"),
    ("channelsim.scenario",),
    ("channelsim.model",),
    ("channelsim.metrics",),
    ("channelsim.analysis",),
    ("channelsim.outputs",),
    ("channelsim.experiments",),
    ("channelsim.calibration",),
    ("channelsim.planning",),
    ("channelsim.cli", "channelsim.verification", "channelsim.docgen", "channelsim.plots",
     "channelsim.teaching", "channelsim.__main__"),
)  # fmt: skip
"""Each entry: the modules and packages of one layer, bottom first."""

BOTTOM_MAY_IMPORT = {"channelsim", "channelsim.errors"}
"""What the bottom modules may import from channelsim (the version, the errors), besides
the modules of their own package (``channelsim.theory.*``)."""

MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best, depth = -1, -1
    for i, members in enumerate(LAYERS):
        for member in members:
            if (module == member or module.startswith(member + ".")) and len(member) > depth:
                best, depth = i, len(member)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def _imports(module: str, path: Path, text: str | None = None) -> list[tuple[str, list[str], int]]:
    """(imported channelsim module, names taken from it, line) for every import that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "channelsim":
                    found.append((_known(alias.name), [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != "channelsim":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:  # "from channelsim.outputs import files"
                    found.append((sub, [], node.lineno))
                else:
                    found.append((_known(base), [alias.name], node.lineno))
    return found


def _known(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_imports_only_go_down():
    wrong = []
    for module, imports in GRAPH.items():
        mine = _layer(module)
        for target, _names, line in imports:
            if target != module and _layer(target) > mine:
                wrong.append(f"{module}:{line} imports {target} (a higher layer)")
    assert not wrong, "\n".join(wrong)


def test_bottom_modules_import_only_errors():
    wrong = []
    for module, imports in GRAPH.items():
        if _layer(module) != 0 or module == "channelsim":
            continue
        for target, _names, line in imports:
            own = _package_of(target) == _package_of(module) != "channelsim"
            if target not in BOTTOM_MAY_IMPORT and not own:
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    """No cycle, counting imports inside functions (a lazy import that dodges a cycle is one)."""
    edges = {m: {t for t, _n, _l in imports if t != m} for m, imports in GRAPH.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _package_of(module: str) -> str:
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def test_no_private_name_crosses_a_package():
    wrong = []
    for module, imports in GRAPH.items():
        for target, names, line in imports:
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and _package_of(target) != _package_of(module):
                wrong.append(f"{module}:{line} imports {', '.join(private)} from {target}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it"


def test_layers_read_as_the_pipeline():
    """The tree itself shows the pipeline: one folder per layer above the bottom modules."""
    folders = [m.split(".")[1] for layer in LAYERS[1:-1] for m in layer]
    for name in folders:
        if name == "calibration" and not (PACKAGE / name).is_dir():
            continue  # the layer exists before its package does
        assert (PACKAGE / name / "__init__.py").is_file(), f"channelsim/{name}/ is a package"
    assert [f for f in folders] == [
        "scenario",
        "model",
        "metrics",
        "analysis",
        "outputs",
        "experiments",
        "calibration",
        "planning",
    ]


def test_the_checker_sees_a_violation():
    """The import reader is not blind: it finds a function-level, relative, upward import."""
    source = "def f():\n    from ..experiments import compare\n"
    found = _imports("channelsim.analysis", PACKAGE / "analysis" / "__init__.py", source)
    assert found == [("channelsim.experiments.compare", [], 2)]
    assert _layer("channelsim.experiments.compare") > _layer("channelsim.analysis")
