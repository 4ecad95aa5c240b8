"""Statistics, each written once: numba kernels in 1-d, 2-d, rolling and from-sums forms
(`returns_nb`), their pandas side (`metrics`), the names a sweep keeps (`sweep_columns`)
and the row it computes for each path (`sweep_row_nb`)."""
