"""`python -m vgv_live` is `vgv-live`."""

import sys

from vgv_live.cli import main

sys.exit(main())
