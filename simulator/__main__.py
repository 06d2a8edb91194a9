"""``python -m simulator``: the same as ``element-studio sim``."""

import sys

from .cli import main

sys.exit(main())
