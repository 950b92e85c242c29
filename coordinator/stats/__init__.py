"""County statistics: the statistics form of seed 004's annex and the dashboard of the figures users watch."""
