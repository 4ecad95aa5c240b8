"""The command line (`main`), a thin door over the API; one module per command in `commands/`."""
