"""Public pages (一公开): item lists, campaign plans and published results, readable without logging in."""
