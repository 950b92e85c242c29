"""Data exchange with the systems around the county: publicity export, risk classes, registration status,
enforcement personnel, the freshness of each source, and the read-only API for other government systems."""
