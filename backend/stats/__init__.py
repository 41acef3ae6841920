"""Platform statistics for government staff (``platformStatistics`` and its CSV export).

Every figure is an aggregate computed in SQL (COUNT, SUM, CASE, GROUP BY, a median) over the
whole selection, in a fixed number of statements whatever the data size; no rows are loaded into
Python. Statistics hold no personal data, so reading them writes no audit row.
"""
