"""rotation-lab command line: `python run_backtest.py --help`."""

import sys

from engine.cli import main
from strategies import discover

if __name__ == "__main__":
    sys.exit(main(discover()))
