"""`python -m vgv_live` is `vgv-live`."""

import sys

from vgv_live.cli import main

if __name__ == "__main__":  # the window's explainer process imports this module again
    sys.exit(main())
