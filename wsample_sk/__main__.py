"""``python -m wsample_sk`` runs the ``wsample-sk`` command."""

import sys

from .cli import main

sys.exit(main())
