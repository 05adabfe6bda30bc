"""Inventory is the lower layer: its models, services and tasks never import orders (stock that
becomes free is announced with StockFreed rows or listeners that orders registers)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_inventory_below_its_http_layer_never_imports_orders():
    offenders = {}
    for path in sorted((ROOT / "inventory").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] in {"api", "migrations"}:
            continue  # the HTTP layer composes both apps (reserve or release by order_id)
        found = {name for name in imports_of(path) if name.split(".")[0] == "orders"}
        if found:
            offenders[str(relative)] = sorted(found)
    assert offenders == {}


def test_the_layer_check_sees_a_planted_import(tmp_path):
    planted = tmp_path / "levels.py"
    planted.write_text("from orders.tasks import allocate_backorders\nimport orders.services\n")
    assert imports_of(planted) == {"orders.tasks", "orders.services"}
