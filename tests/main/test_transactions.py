"""Transactions end in one place (issue 12): services never commit; the view, command or task that
called them does. The few workflows that must commit around an external call, or batch by batch,
are marked `@workflow` (app/transactions.py) and say why in their docstring."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _callers(path: Path) -> bool:
    """Files whose functions end transactions: views (and app/actions.py, their one action shape;
    app/rounds/fast_vote.py, the vote view's answer before Flask), commands, tasks, and the demo's seeding."""
    relative = path.relative_to(APP)
    return (path.name in ("views.py", "fast_vote.py", "cli.py", "tasks.py", "seed.py", "actions.py") or path.name.endswith("_cli.py")
            or relative.parts[0] == "demo")


def _is_workflow(function: ast.AST) -> bool:
    return any((isinstance(d, ast.Name) and d.id == "workflow") or (isinstance(d, ast.Attribute) and d.attr == "workflow")
               for d in getattr(function, "decorator_list", []))


def _commits(tree: ast.AST):
    """Every `.commit()` call, with the functions it sits in (outermost first)."""
    def walk(node, enclosing):
        for child in ast.iter_child_nodes(node):
            inner = enclosing + [child] if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else enclosing
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "commit" and not child.args):
                yield child, enclosing
            yield from walk(child, inner)
    yield from walk(tree, [])


def _modules():
    for path in sorted(APP.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def workflows() -> list[tuple[Path, ast.FunctionDef]]:
    return [(path, node) for path, tree in _modules() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_workflow(node)]


def test_only_views_commands_tasks_and_workflows_commit():
    stray = []
    for path, tree in _modules():
        if _callers(path):
            continue
        for call, enclosing in _commits(tree):
            if not any(_is_workflow(function) for function in enclosing):
                where = enclosing[-1].name if enclosing else "<module>"
                stray.append(f"{path.relative_to(APP.parent)}:{call.lineno} in {where}")
    assert stray == [], "commit in a service; move it to its caller, or mark a workflow:\n" + "\n".join(stray)


def test_workflows_are_few_and_say_why_they_commit():
    found = workflows()
    assert 0 < len(found) <= 15, [f"{path.name}:{node.name}" for path, node in found]
    for path, function in found:
        doc = ast.get_docstring(function) or ""
        assert "ommit" in doc, f"{path.name}:{function.name} does not say why it commits"


def test_the_scan_sees_a_stray_commit():
    tree = ast.parse("def save(order):\n    db.session.commit()\n\n"
                     "@workflow\ndef pay():\n    def inner():\n        db.session.commit()\n")
    commits = [(call.lineno, [f.name for f in enclosing], any(_is_workflow(f) for f in enclosing))
               for call, enclosing in _commits(tree)]
    assert commits == [(2, ["save"], False), (7, ["pay", "inner"], True)]
