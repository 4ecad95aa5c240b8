"""Threshold tuning: parameter sweeps, walk-forward tests and over-fitting statistics.

grid          parse `--grid name=a:b:step` / lists and a config's [sweep] table; rows by number
combinations  the grid's accepted rows, numbered block by block (no whole-grid table)
plan          each chunk's parameters and data starts, decoded from its row numbers
windows       the window a chunk runs on and the statistics every path returns
batch         chunks through the strategy's batch form and the one portfolio kernel
              (engine.simulate.portfolio_nb); sampled rows re-run through vectorbt
executors     where chunks run: this process / a local process pool, or a Dask cluster
sweep         load once, run every combination in chunks, stream the rows to the dataset
summary       the bounded summaries kept in memory (top rows, heatmap cells, moments, PBO sums)
results       a finished sweep: summaries, the default's rank, the table read back on request
resume        the Parquet dataset of a sweep's rows: resume store and result
walk_forward  choose on each training window, test on the next, stitch the tests
overfitting   deflated Sharpe ratio and the probability of backtest overfitting (CSCV)
study         the sweep plus its cross-check, statistics and walk-forward, for the report
report        the sweep report folder (tables, heatmaps, HTML + Markdown), written atomically
"""
