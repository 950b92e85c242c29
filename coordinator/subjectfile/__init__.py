"""一企一档, the enterprise's file: its whole history gathered under it (seed 004: 自动归集到市场主体名下)."""
