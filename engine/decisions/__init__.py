"""Decisions: what a strategy is (`strategy`), its batch answer of sparse target-weight rows
(`batch`), how strategies are discovered (`discovery`), and the rule pieces strategies and claims
share (`indicators`, `leadership`, `yearly`)."""
