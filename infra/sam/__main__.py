"""``python -m infra.sam > template.yaml``: write the SAM template to standard output."""

import sys

from infra.sam import main

sys.exit(main())
