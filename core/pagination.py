"""The API's one way of paging a list: ``?page=N``, as the schema states it."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from .api import NOT_FOUND, VALIDATION_ERROR

# Digits, no sign, no leading zero; at most 18 of them, so no number is too long to read.
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,17}")
MAX_PAGE = 10**18 - 1
# The errors of a paged list, for the schema.
PAGE_ERRORS = (
    VALIDATION_ERROR.because(
        "`page` is not a whole number from 1.", fields={"page": ["A page number is a whole number from 1."]}
    ),
    NOT_FOUND.because("`page` is past the last page.", "Invalid page."),
)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, with the number read as the schema gives it: a whole number from 1, written
    in digits. Anything else (``page=``, ``page=0``, ``page=two``, ``page=last``) is 400
    ``validation_error`` on ``page``; a page past the last one is 404 ``not_found``. DRF takes an empty
    ``page`` for the first page, which the schema cannot say."""

    page_query_description = "A page of the list, from 1. A page past the last one is 404 `not_found`."

    def get_page_number(self, request, paginator) -> int:
        if self.page_query_param not in request.query_params:
            return 1
        given = request.query_params[self.page_query_param]
        if not _PAGE_NUMBER.fullmatch(given):
            raise ValidationError({self.page_query_param: [_("A page number is a whole number from 1.")]})
        return int(given)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": self.page_query_description,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            }
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        described = {
            "count": "How many there are on all the pages.",
            "next": "The next page's URL; null on the last page.",
            "previous": "The previous page's URL; null on the first page.",
            "results": "This page's items.",
        }
        for name, description in described.items():
            if isinstance(paginated["properties"][name], dict):  # drf-spectacular's examples pass a sentinel
                paginated["properties"][name] = {**paginated["properties"][name], "description": description}
        return {"description": "One page of the list.", **paginated}
