"""One catalog module per page: EN and ZH dicts with the same keys."""
