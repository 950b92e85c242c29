"""Annual plans (年度抽查计划): numbered plans of tasks, and the plan table of seed 000's annex."""
