"""Cursor pages over mongoengine querysets for flask-smorest's @blp.paginate (X-Pagination header)."""

from flask_smorest import Page


class QuerySetPage(Page):
    @property
    def item_count(self) -> int:
        return self.collection.count()


PAGE = {"page_size": 50, "max_page_size": 500}
