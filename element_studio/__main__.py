"""`python -m element_studio`: the same as `element-studio`."""
import sys

from .cli import main

sys.exit(main())
