"""Simulation: the one portfolio kernel (`portfolio_nb`) for single runs and sweeps, its
execution inputs and single runs (`portfolio`), a run's periods and warm-up (`pipeline`), the
result (`result`), and vectorbt's from_orders as the oracle that checks the kernel (`oracle`)."""
