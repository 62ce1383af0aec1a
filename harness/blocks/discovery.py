"""Find custom blocks: the ``irp_harness.blocks`` entry points and the project's steps/.

Importing a module that uses ``@block`` registers its blocks. Each source is
imported at most once per process, so the CLI, the loader and the pytest plugin may
all ask for discovery.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

from .registry import BlockDefinitionError

ENTRY_POINT_GROUP = "irp_harness.blocks"
_loaded: set[str] = set()


def project_block_files(root: Path) -> list[Path]:
    """``steps/blocks.py`` and ``steps/*_blocks.py`` under ``root``, sorted."""
    steps = root / "steps"
    if not steps.is_dir():
        return []
    return sorted(p for p in steps.glob("*.py") if p.stem == "blocks"
                  or p.stem.endswith("_blocks"))


def load_custom_blocks(root: Path | None = None) -> list[str]:
    """Import every custom block module; returns what was imported (new or not).

    Raises:
        BlockDefinitionError: a module failed to import or registered a block wrongly,
            with the module's name in the message.
    """
    sources = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        sources.append(f"entry point {ep.name} ({ep.value})")
        if ep.value in _loaded:
            continue
        _loaded.add(ep.value)
        try:
            ep.load()
        except BlockDefinitionError:
            raise
        except Exception as error:           # a broken plugin is the user's to fix
            raise BlockDefinitionError(f"entry point {ep.name} ({ep.value}): {error}") from error
    for path in project_block_files((root or Path.cwd()).resolve()):
        key = str(path)
        sources.append(key)
        if key in _loaded:
            continue
        _loaded.add(key)
        name = f"irp_harness_project_blocks.{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None    # a .py file: a source loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BlockDefinitionError as error:
            raise BlockDefinitionError(f"{path}: {error}") from error
        except Exception as error:
            raise BlockDefinitionError(f"{path}: {type(error).__name__}: {error}") from error
    return sources
