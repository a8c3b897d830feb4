"""The rooms of the house, checked from the source (``ast``; nothing is imported or run).

(a) No module under ``finadvisor/services/<a>`` imports from ``finadvisor/services/<b>``: what two
    services share lives in ``finadvisor/shared``, ``finadvisor/sessions`` or ``finadvisor.ontology``.
(b) Serving code imports nothing from the training side: the corpus simulator and its templates,
    the document renderer, the speech synthesiser, the training and evaluation modules.
(c) The vocabulary is written once: no serving module holds a literal copy of an ontology list
    except the copies trained weights pin (checked value by value in ``test_ontology.py``).
(d) No file of the house's own text is over 600 lines: code, stylesheets, scripts, manifests,
    docs. Data tables (the simulator's templates) and generated stubs are exempt.
(e) Every ``noqa`` and ``type: ignore`` says why on its line (ruff's RUF100 and mypy's
    warn_unused_ignores say whether it still silences something).
(f) The Redis key schema and every Lua script live in ``finadvisor/sessions``: no other module
    spells a key name (a string starting with the store's prefix) or holds a script.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from finadvisor import ontology

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "finadvisor"

#: Modules of the training and measuring side (they may import the corpus and the renderers).
#: Matched on the module's dotted name: a part equal to one of these, or a package prefix.
TRAINING_PARTS = frozenset({"training", "dataset", "suite", "render", "synth", "external_set",
                            "devset", "latency", "bench", "evaluate", "simulator", "templates"})
TRAINING_PACKAGES = ("finadvisor.corpus", "finadvisor.bench", "finadvisor.evaluation")
#: Entry points that reach both sides on purpose (``finadvisor train``/``up``) and the stubs.
NOT_SERVING = frozenset({"finadvisor.cli", "finadvisor.up", "finadvisor.training",
                         "finadvisor.protogen"})
#: What a serving module must never import.
TRAINING_TARGETS = ("finadvisor.corpus", "finadvisor.services.vision.render",
                    "finadvisor.services.voice.synth", "finadvisor.training")

#: Known exceptions, each with the issue that removes it. Keep this short; an entry that no
#: longer matches fails the test so that it is deleted.
KNOWN_TRAINING_IMPORTS: dict[tuple[str, str], str] = {}
#: Modules whose literal lists are the copies trained weights pin (see test_ontology.py).
PINNED_COPIES = frozenset({"finadvisor.services.vision.labels",
                           "finadvisor.services.generator.inputs"})
KNOWN_COPIES: dict[tuple[str, str], str] = {}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "v1" in rel.parts:  # generated stubs
            continue
        parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
        yield ".".join(parts), path


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module name an import statement names (function-level imports too)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:  # "from finadvisor.corpus import simulator"
                yield f"{node.module}.{alias.name}", node.lineno


def _is_serving(module: str) -> bool:
    if module in NOT_SERVING or module.startswith(TRAINING_PACKAGES):
        return False
    return not TRAINING_PARTS & set(module.split("."))


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_no_service_imports_another_service() -> None:
    crossings = []
    for module, path in _modules():
        parts = module.split(".")
        if parts[:2] != ["finadvisor", "services"] or len(parts) < 3:
            continue
        for name, line in _imports(path):
            target = name.split(".")
            if target[:2] == ["finadvisor", "services"] and len(target) > 2 \
                    and target[2] != parts[2] and target[2] != "GRPC_SERVICES":
                crossings.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not crossings, "one service imports another:\n" + "\n".join(crossings)


def test_serving_code_imports_nothing_from_the_training_side() -> None:
    found: dict[tuple[str, str], str] = {}
    for module, path in _modules():
        if not _is_serving(module):
            continue
        for name, line in _imports(path):
            for target in TRAINING_TARGETS:
                if _under(name, target):
                    found.setdefault((module, _closest(name, target)),
                                     f"{path.relative_to(ROOT)}:{line} imports {name}")
    unexpected = {k: v for k, v in found.items() if k not in KNOWN_TRAINING_IMPORTS}
    assert not unexpected, "serving code imports training code:\n" + "\n".join(
        unexpected.values())
    stale = set(KNOWN_TRAINING_IMPORTS) - set(found)
    assert not stale, f"known exceptions that are gone (delete them): {sorted(stale)}"


def _closest(name: str, target: str) -> str:
    """``finadvisor.corpus.simulator._affordability`` -> ``finadvisor.corpus.simulator``."""
    extra = name[len(target):].lstrip(".").split(".")
    return f"{target}.{extra[0]}" if extra[0] and target == "finadvisor.corpus" else target


def test_the_training_side_is_recognised() -> None:
    """The classification above, on names whose side is certain."""
    assert not _is_serving("finadvisor.corpus.simulator")
    assert not _is_serving("finadvisor.services.vision.render")
    assert not _is_serving("finadvisor.services.state.training")
    for serving in ("finadvisor.services.vision.engine", "finadvisor.services.gateway.converse",
                    "finadvisor.sessions.redis_store", "finadvisor.ontology",
                    "finadvisor.services.state.nlu", "finadvisor.shared.server"):
        assert _is_serving(serving), serving


# -- (c) one vocabulary -----------------------------------------------------------------------
def _ontology_lists() -> dict[str, frozenset[str]]:
    """Every list of the ontology of three values or more, as a set (order aside)."""
    out: dict[str, frozenset[str]] = {}
    for name in dir(ontology):
        value = getattr(ontology, name)
        if isinstance(value, tuple | frozenset) and len(value) >= 3 \
                and all(isinstance(v, str) for v in value):
            out[name] = frozenset(value)
    for slot, values in ontology.CATEGORICAL_VALUES.items():
        out[f"CATEGORICAL_VALUES[{slot!r}]"] = frozenset(values)
    return out


def _literal_string_sets(path: Path) -> Iterator[tuple[str, frozenset[str], int]]:
    """Module-level ``NAME = <literal collection of strings>`` (frozenset({...}) included)."""
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id in ("frozenset", "set", "tuple") and len(value.args) == 1:
            value = value.args[0]
        try:
            literal = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(literal, tuple | list | set | frozenset) and literal \
                and all(isinstance(v, str) for v in literal):
            for t in targets:
                if isinstance(t, ast.Name):
                    yield t.id, frozenset(literal), node.lineno


def test_no_serving_module_copies_an_ontology_list() -> None:
    lists = _ontology_lists()
    copies: dict[tuple[str, str], str] = {}
    for module, path in _modules():
        if module == "finadvisor.ontology" or module in PINNED_COPIES or not _is_serving(module):
            continue
        for name, values, line in _literal_string_sets(path):
            for onto_name, onto_values in lists.items():
                if values == onto_values:
                    copies[(module, name)] = (f"{path.relative_to(ROOT)}:{line} {name} copies "
                                              f"ontology.{onto_name}")
    unexpected = {k: v for k, v in copies.items() if k not in KNOWN_COPIES}
    assert not unexpected, "import these from finadvisor.ontology:\n" + "\n".join(
        unexpected.values())


@pytest.mark.parametrize("module", sorted(PINNED_COPIES))
def test_pinned_copies_are_where_they_are_said_to_be(module: str) -> None:
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file()


#: Folders walked for (d), from the repository's root.
SIZED_FOLDERS = ("finadvisor", "tests", "docs", "bench", "deploy", ".ci")
#: The house's own text, by file ending (data sets, weights and images are not text we write).
SIZED_ENDINGS = frozenset({".py", ".pyi", ".js", ".css", ".html", ".lua", ".md", ".sh", ".toml",
                           ".yaml", ".yml", ".proto", ".cfg", ".ini"})
#: Data tables allowed to be long, named one by one.
LONG_DATA_TABLES = frozenset({"finadvisor/corpus/templates.py"})
MAX_LINES = 600


def _sized_files() -> Iterator[Path]:
    for folder in SIZED_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            rel = path.relative_to(ROOT)
            if not path.is_file() or path.suffix not in SIZED_ENDINGS \
                    or "__pycache__" in rel.parts or rel.parts[:2] == ("finadvisor", "models") \
                    or rel.parts[:2] == ("tests", "data"):
                continue
            if path.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")):
                continue  # generated stubs (python -m finadvisor.protogen)
            yield path


def test_no_file_is_over_600_lines() -> None:
    checked, long = 0, []
    for path in _sized_files():
        checked += 1
        rel = path.relative_to(ROOT).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and rel not in LONG_DATA_TABLES:
            long.append(f"{rel}: {n} lines")
    assert checked > 100, f"only {checked} files found: is ROOT the repository?"
    assert not long, f"split these (over {MAX_LINES} lines):\n" + "\n".join(long)


@pytest.mark.parametrize("table", sorted(LONG_DATA_TABLES))
def test_long_data_tables_exist(table: str) -> None:
    assert (ROOT / table).is_file()


#: A suppression and what follows it on the line: its codes, then the reason.
_SUPPRESSION = re.compile(r"#\s*(noqa(?::\s*[A-Z]+[0-9]+(?:,\s*[A-Z]+[0-9]+)*)?"
                          r"|type:\s*ignore(?:\[[^\]]*\])?)(?P<rest>.*)$")


def test_every_suppression_says_why() -> None:
    bare, seen = [], 0
    for folder in ("finadvisor", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                m = _SUPPRESSION.search(line)
                if m is None:
                    continue
                seen += 1
                reason = re.sub(r"^[-:#\s]+", "", m.group("rest")).strip()
                if len(reason) < 4:
                    bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert seen > 10, "no suppression found at all: is the pattern still right?"
    assert not bare, "say why on the line:\n" + "\n".join(bare)


def _string_pieces(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every string constant of a module, f-strings by their first literal piece."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value, node.lineno


def test_key_names_and_lua_scripts_live_in_the_session_package() -> None:
    from finadvisor.sessions import KEY_PREFIX

    found = []
    for module, path in _modules():
        if module.startswith("finadvisor.sessions"):
            continue
        for text, line in _string_pieces(ast.parse(path.read_text(encoding="utf-8"))):
            if text.startswith(KEY_PREFIX) or "redis.call(" in text:
                found.append(f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}")
    assert not found, "use finadvisor.sessions (types.session_key, scripts/*.lua):\n" + \
        "\n".join(found)
