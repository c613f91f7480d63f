"""``python -m ketamine_kg`` runs the same command line as ``ketamine-kg``."""

import sys

from ketamine_kg.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
