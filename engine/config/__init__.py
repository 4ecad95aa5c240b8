"""Settings: the typed sections every run shares (`settings`) and a run's layered config
(`run_config`: shared defaults, the user's defaults, the strategy's TOML, `--set`)."""
