"""Cursor pages over mongoengine querysets for flask-smorest's @blp.paginate (X-Pagination header).

Pages are bounded: past MAX_PAGE (or a skip the driver cannot hold) the answer is a 422, never an
overflow in the database driver.
"""

from collections.abc import Callable

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


class RenderedQuery:
    """A queryset the paginator can count and slice; only the page asked for is rendered."""

    def __init__(self, query, render: Callable[[list], list]):
        self.query, self.render = query, render

    def count(self) -> int:
        return self.query.count()

    def __getitem__(self, item):
        return self.render(list(self.query[item]))
