"""Reads for dashboards, the scores API and alerts, one module per subject.

`scores` holds the figures computed from the rollup tables (see its docstring for the signatures
other modules build on).
"""
