"""Realistic synthetic enterprises and their credit records, for load tests and benchmarks.

``identities`` makes enterprises (valid USCCs on real division codes, legal representatives
with valid ID numbers, names from faker's zh_CN data); ``records`` makes their records per
sharing-list category; ``dataset`` streams everything to JSON Lines files, one per category,
and loads them through the bulk path as the matching data providers; ``features`` writes only
the ``enterprises`` and ``enterprise_features`` rows of the same enterprises, fast, for set-based
benchmarks. Everything is drawn from one seeded ``random.Random``: the same seed and reference
date give the same bytes.
"""

from backend.synth.dataset import (
    CATEGORIES,
    LoadResult,
    SynthSummary,
    load_dataset,
    write_dataset,
)
from backend.synth.features import FeaturesLoad, load_features
from backend.synth.identities import SynthEnterprise, enterprises
from backend.synth.records import FeeSeries, enterprise_records, fee_rows_by_month

__all__ = [
    "CATEGORIES",
    "FeaturesLoad",
    "FeeSeries",
    "LoadResult",
    "SynthEnterprise",
    "SynthSummary",
    "enterprise_records",
    "enterprises",
    "fee_rows_by_month",
    "load_dataset",
    "load_features",
    "write_dataset",
]
