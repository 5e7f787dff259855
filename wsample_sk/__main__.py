"""``python -m wsample_sk`` runs the ``wsample-sk`` command."""

import sys

from ._cli import main

sys.exit(main())
