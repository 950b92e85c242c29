"""Whether the app can serve: the database reachable, its schema migrated; the 503 page when it is not."""
