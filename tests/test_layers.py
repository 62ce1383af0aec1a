"""The layering contract: who may import whom, checked on every module's imports.

Layers from the top; a module may import its own layer's modules and any layer below,
never one above. Inside the kernel the subsystems are layers too, in ntoskrnl's
order. Every import counts, top-level or inside a function, and the graph of modules
has no circle. Late (function-level) imports are allowed only where a module says why
(start-up cost), never to dodge a circle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "harness"

#: Top to bottom. A module belongs to the first layer whose prefix it starts with.
LAYERS: list[tuple[str, ...]] = [
    ("harness.cli", "harness.__main__", "harness.bdd"),
    ("harness.explore",),                    # schedules, strategies, replay: drives the runner
    ("harness.checks",),                     # claims about a run: what the steps call
    ("harness.runner",),
    ("harness.scenario", "harness.trace"),
    ("harness.blocks",),
    ("harness.usermode",),
    ("harness.kernel.__init__",),            # the kernel's public face
    ("harness.kernel.system",),              # composes the subsystems
    ("harness.kernel.fs",),                  # a file system: a driver above the I/O manager
    ("harness.kernel.storage",),             # the disk class driver and USBSTOR: above io
    ("harness.kernel.io",),
    ("harness.kernel.cm",),                  # the configuration manager
    ("harness.kernel.ps",),
    ("harness.kernel.ex",),
    ("harness.kernel.ob",),
    ("harness.kernel.rtl",),                 # the run-time library (above mm: it takes pool)
    ("harness.kernel.mm",),
    ("harness.kernel.ke",),
    ("harness.kernel.hw",),
    ("harness.kernel.constants", "harness.kernel.errors", "harness.kernel.instrument"),
    ("harness.lang",),
    ("harness.__init__",),
]

#: Modules whose function-level imports are deliberate, and why.
LATE_IMPORTS = {"harness.cli": "start-up cost: --help and blocks need no kernel"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts)


def _layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return index
    raise AssertionError(f"{module} is in no layer of tests/test_layers.py")


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    """The harness modules an import statement names (absolute, dotted)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("harness")]
    if node.level == 0:
        base = node.module or ""
        if not base.startswith("harness"):
            return []
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    out = []
    for alias in node.names:          # `from pkg import mod` imports a module
        candidate = f"{base}.{alias.name}"
        if _exists(candidate):
            out.append(candidate)
        else:
            out.append(base)
    return out


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _canonical(module: str) -> str:
    """A package stands for its __init__ module."""
    path = ROOT.joinpath(*module.split("."))
    return f"{module}.__init__" if (path / "__init__.py").is_file() else module


def _imports() -> dict[str, list[tuple[str, int, bool]]]:
    """module -> [(imported module, line, inside a function)]."""
    graph: dict[str, list[tuple[str, int, bool]]] = {}
    for path in sorted(HARNESS.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        late = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                late |= {id(sub) for sub in ast.walk(node)}
        edges = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if _type_checking_only(tree, node):
                    continue
                for target in _resolve(module, node, path.name == "__init__.py"):
                    edges.append((_canonical(target), node.lineno, id(node) in late))
        graph[module] = edges
    return graph


def _type_checking_only(tree: ast.Module, node: ast.AST) -> bool:
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Name) \
                and stmt.test.id == "TYPE_CHECKING":
            if any(sub is node for sub in ast.walk(stmt)):
                return True
    return False


GRAPH = _imports()


def test_every_module_imports_only_its_layer_and_below():
    problems = []
    for module, edges in GRAPH.items():
        for target, line, _late in edges:
            if target == module:
                continue
            if _layer(target) < _layer(module):
                problems.append(f"{module}:{line} imports {target} from a higher layer")
    assert problems == []


def test_the_module_graph_has_no_circle():
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        stack.append(module)
        for target, _line, _late in GRAPH.get(module, []):
            if target == module or target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_late_imports_only_where_a_module_says_why():
    problems = [f"{module}:{line} imports {target} inside a function"
                for module, edges in GRAPH.items() if module not in LATE_IMPORTS
                for target, line, late in edges if late]
    assert problems == []


def test_the_kernel_imports_only_simpy_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"simpy"}
    offenders = []
    for path in sorted((HARNESS / "kernel").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}: {root}" for root in roots
                          if root not in allowed]
    assert offenders == []


def test_user_mode_reaches_the_kernel_only_through_ntdll():
    """kernel32 and the rest of harness.usermode call the kernel through the system-call
    boundary, as kernelbase calls ntdll."""
    problems = [f"{module}:{line} imports {target}"
                for module, edges in GRAPH.items()
                if module.startswith("harness.usermode") and module != "harness.usermode.ntdll"
                for target, line, _late in edges if target.startswith("harness.kernel")]
    assert problems == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_every_module_is_in_a_layer(module):
    assert _layer(module) >= 0
