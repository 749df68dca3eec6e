"""detect-secrets plugin for scripts/bench-scan.sh: the pattern `rg` is given, so that
detect-secrets looks for what clouddigit looks for (it has no checksum check, so it
also reports the tree's look-alikes)."""

import re

from detect_secrets.plugins.base import RegexBasedDetector


class CloudDigitTokenDetector(RegexBasedDetector):
    """Cloud Digit API token (shape only)."""

    secret_type = "Cloud Digit API token"
    denylist = [re.compile(r"cd_[0-9A-Za-z]{42}")]
