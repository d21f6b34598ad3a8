import sys

from livetrigger.cli import main

sys.exit(main())
