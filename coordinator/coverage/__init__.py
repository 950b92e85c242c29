"""Coverage duties across the year (抽查覆盖要求): which enterprises each department must inspect how often."""
