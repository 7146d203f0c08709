"""Pagination of lists: which slice to load, and what the template needs to link pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["PAGE_SIZE", "Page"]

PAGE_SIZE = 20
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1) and the size of the whole list."""

    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least 1, even when empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @staticmethod
    def offset(number: int, size: int = PAGE_SIZE) -> int:
        """The index of the first item of page `number`."""
        return (number - 1) * size
