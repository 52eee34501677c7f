"""HTML reports: read every file in a folder, route it to the right analysis, write one self-contained page.

>>> from sselab.report import build_report
>>> rep = build_report("data/", "report/", manifest="data/cells.yaml")      # doctest: +SKIP

Outputs in ``report/``: ``report.html`` (figures embedded, works offline), ``results.json``, ``summary.csv`` and
``figures/*.png|svg``.  Files are routed to the recipes (:mod:`sselab.recipes.routing`), each recipe's result is
rendered generically (:mod:`.sections`); a file that cannot be read, or whose analysis fails, is listed with its
one-line error.
"""
from __future__ import annotations

from .build import TOLERANCES, Report, build_report, compare_truth

__all__ = ["build_report", "Report", "compare_truth", "TOLERANCES"]
