"""Cursor pages over mongoengine querysets for flask-smorest's @blp.paginate (X-Pagination header)."""

from collections.abc import Callable

from flask_smorest import Page


class QuerySetPage(Page):
    @property
    def item_count(self) -> int:
        return self.collection.count()


PAGE = {"page_size": 50, "max_page_size": 500}


class RenderedQuery:
    """A queryset the paginator can count and slice; only the page asked for is rendered."""

    def __init__(self, query, render: Callable[[list], list]):
        self.query, self.render = query, render

    def count(self) -> int:
        return self.query.count()

    def __getitem__(self, item):
        return self.render(list(self.query[item]))
