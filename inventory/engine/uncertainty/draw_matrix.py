"""Monte Carlo draws of keyed quantities held as one (quantities x draws) matrix.

A run's per-draw results (the stock change of each reporting category, the emission of each
organic-soil category and gas) are a few hundred quantities times N + 1 draws. Held long (one
row per quantity and draw, with its text keys), 10 000 draws of a country are millions of rows
whose keys are repeated, grouped and joined again by every reader; held as a matrix, the keys
are stored once and every reader sums or orders columns of numbers.

Sums of a matrix add their rows in row order from 0.0 (:meth:`DrawMatrix.group_sums`), the
order in which DuckDB's one-thread ``sum`` adds the rows of the long table the matrix replaces,
so a published value is the same to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass
class DrawMatrix:
    """Draws 0..N of keyed quantities.

    ``keys``: one row per quantity (its key columns, index 0..n-1). ``values``: float64 of shape
    (len(keys), N + 1), column k = draw k (draw 0 = every input at its table value).
    """

    keys: pd.DataFrame
    values: np.ndarray

    @property
    def n_draws(self) -> int:
        """N [count], the number of Monte Carlo draws beside draw 0."""
        return int(self.values.shape[1]) - 1

    @property
    def empty(self) -> bool:
        """True without quantities or without draws 1..N."""
        return len(self.keys) == 0 or self.n_draws <= 0

    def select(self, rows: np.ndarray) -> DrawMatrix:
        """The quantities where the boolean ``rows`` is true, in their order."""
        return DrawMatrix(self.keys[rows].reset_index(drop=True), self.values[rows])

    def group_sums(self, by: Sequence[str]) -> DrawMatrix:
        """Sums over the quantities sharing the values of ``by``, draw by draw.

        The groups are sorted by ``by``; each adds its quantities in row order from 0.0 (one
        sparse product with a matrix of ones, whose rows add their terms in column order).
        """
        codes = self.keys.groupby(list(by), sort=True).ngroup().to_numpy()
        groups = self.keys[list(by)].drop_duplicates().sort_values(list(by))
        rows = len(self.keys)
        # (groups x quantities) of ones: each output row accumulates its quantities in
        # ascending order from 0.0, 1.0 x value being exact
        indicator = sparse.csr_matrix(
            (np.ones(rows), (codes, np.arange(rows))), shape=(len(groups), rows)
        )
        sums = np.asarray(indicator @ self.values, dtype="float64").reshape(
            len(groups), self.values.shape[1]
        )
        return DrawMatrix(groups.reset_index(drop=True), sums)

    def long(self, value: str, dtypes: Mapping[str, str]) -> pd.DataFrame:
        """The draws as a long table: ``draw`` (0..N, int32), the key columns and ``value``,
        one row per draw and quantity (draw-major, quantities in row order), cast to
        ``dtypes``."""
        rows, draws = len(self.keys), self.values.shape[1]
        position = np.tile(np.arange(rows), draws)
        columns: dict[str, object] = {"draw": np.repeat(np.arange(draws, dtype="int32"), rows)}
        for name in self.keys.columns:
            column = self.keys[name]
            if isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
                # one Arrow take of the string column, not numpy objects converted one by one
                columns[name] = pd.array(column.to_numpy(dtype=object), dtype="str").take(position)
            else:
                columns[name] = np.tile(column.to_numpy(), draws)
        columns[value] = np.ascontiguousarray(self.values.T).ravel()
        return pd.DataFrame(columns).astype(dict(dtypes))

    @classmethod
    def from_long(cls, frame: pd.DataFrame, keys: Sequence[str], value: str) -> DrawMatrix:
        """The matrix of a long table with one row per draw (0..N) and key: quantities in the
        order of their first row, draws by ``draw``. Raises ValueError when a key lacks a draw
        or has two rows of one draw."""
        keys = list(keys)
        order = frame[keys].drop_duplicates().reset_index(drop=True)
        n_draws = int(frame["draw"].max()) if len(frame) else 0
        # numbered by first row, as drop_duplicates keeps them
        quantity = frame.groupby(keys, sort=False).ngroup().to_numpy(dtype="int64")
        draw = frame["draw"].to_numpy(dtype="int64")
        flat = quantity * (n_draws + 1) + draw
        size = len(order) * (n_draws + 1)
        if len(frame) != size or (size and np.bincount(flat, minlength=size).max() != 1):
            raise ValueError(f"{value}: not one row per key and draw 0..{n_draws}")
        values = np.empty(size)
        values[flat] = frame[value].to_numpy(dtype="float64")
        return cls(order, values.reshape(len(order), n_draws + 1))
