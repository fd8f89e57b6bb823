import sys

from emulators.core.server import main

sys.exit(main())
