"""rotation-lab command line: `python run_backtest.py --help`."""

import sys

if __name__ == "__main__":
    try:
        from engine.__main__ import run
    except KeyboardInterrupt:  # Ctrl-C while the engine is still being imported
        print("interrupted: stopped before the end; nothing was written", file=sys.stderr)
        sys.exit(1)
    sys.exit(run())
