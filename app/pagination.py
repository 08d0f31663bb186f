"""Cursor pages over mongoengine querysets for flask-smorest's @blp.paginate (X-Pagination header).

Pages are bounded: past MAX_PAGE (or a skip the driver cannot hold) the answer is a 422, never an
overflow in the database driver.
"""

from collections.abc import Callable

from flask import Response
from flask_smorest import Page

from app.errors import ValidationFailed

PAGE = {"page_size": 50, "max_page_size": 500}
MAX_PAGE = 100_000


class QuerySetPage(Page):
    def __init__(self, collection, page_params):
        if page_params.page > MAX_PAGE:
            raise ValidationFailed(
                f"页码不能超过 {MAX_PAGE} Page must be at most {MAX_PAGE}",
                fields={"query": {"page": [f"Must be less than or equal to {MAX_PAGE}."]}},
            )
        super().__init__(collection, page_params)

    @property
    def item_count(self) -> int:
        return self.collection.count()


class PageOrDownload(QuerySetPage):
    """Pages what the view returns, or lets a file download (a Response, e.g. `?format=xlsx`) through."""

    @property
    def item_count(self) -> int:
        return 0 if isinstance(self.collection, Response) else self.collection.count()

    @property
    def items(self):
        return self.collection if isinstance(self.collection, Response) else super().items


class RenderedQuery:
    """A queryset the paginator can count and slice; only the page asked for is rendered."""

    def __init__(self, query, render: Callable[[list], list]):
        self.query, self.render = query, render

    def count(self) -> int:
        return self.query.count()

    def __getitem__(self, item):
        return self.render(list(self.query[item]))


class Concatenated:
    """Querysets read one after another as one sequence the paginator can count and slice (e.g. overdue
    items first, then the rest), each query keeping its own order and index."""

    def __init__(self, *queries):
        self.queries = queries

    def count(self) -> int:
        return sum(query.count() for query in self.queries)

    def __getitem__(self, item: slice) -> list:
        start, stop = item.start or 0, item.stop
        found: list = []
        for query in self.queries:
            size = query.count()
            if stop is not None and stop <= 0:
                break
            if start < size:
                end = size if stop is None else min(stop, size)
                found += list(query[start:end])
            start, stop = max(0, start - size), None if stop is None else stop - size
        return found

    def __iter__(self):
        """Every item once, without keeping them (for exports)."""
        for query in self.queries:
            yield from query.no_cache()
