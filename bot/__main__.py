"""`python -m bot`: the process entry lives in the composition root (app/), which this only calls."""

import sys

from app.main import main

sys.exit(main())
