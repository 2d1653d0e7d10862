"""``python -m channelsim.verification``: run the checks, print them, write the report."""

import sys

from channelsim.verification.report import main

sys.exit(main())
