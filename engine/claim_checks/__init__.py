"""Claim checks: market lore from the press tested as event studies, with sample sizes,
intervals and a plain verdict.

    load_definitions(claims_dir, overrides, date) -> {name: definition}   (TOML files)
    run_claim(definition, data_settings, project_root) -> ClaimResult
    run_summary(results) -> str                                            (terminal summary)
    write_claims_report(results, reports_root, command) -> folder          (atomic)

This path only reads prices (engine.data) and computes statistics; it simulates no portfolio.
"""

from __future__ import annotations

from engine.claim_checks.loading import load_definitions
from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.runner import run_claim, run_claims
from engine.claim_checks.summary import run_summary

__all__ = [
    "ClaimResult",
    "Finding",
    "load_definitions",
    "run_claim",
    "run_claims",
    "run_summary",
]
