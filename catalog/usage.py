"""What catalog's rules need to know from the apps above it: which products have stock (a
product with stock cannot become a kit) and which kits have components reserved for orders
(their recipe cannot change). Catalog asks here; the app that knows answers by registering
its selectors when it loads (inventory's AppConfig.ready), so catalog imports no app above it
(the import-linter contract in pyproject.toml)."""

from collections.abc import Callable, Iterable

Question = Callable[[Iterable[int]], set[int]]
_answers: dict[str, Question] = {}


def register(*, products_with_stock: Question, kits_in_use: Question) -> None:
    _answers["products_with_stock"] = products_with_stock
    _answers["kits_in_use"] = kits_in_use


def _ask(question: str, ids: Iterable[int]) -> set[int]:
    answer = _answers.get(question)
    if answer is None:
        # not answered means no app can hold such rows: refusing would be wrong, so none
        return set()
    return answer(ids)


def products_with_stock(product_ids: Iterable[int]) -> set[int]:
    """Those of these products that have a stock level (stock now, or once)."""
    return _ask("products_with_stock", product_ids)


def kits_in_use(kit_ids: Iterable[int]) -> set[int]:
    """Those of these kits whose components are reserved for order lines right now."""
    return _ask("kits_in_use", kit_ids)
