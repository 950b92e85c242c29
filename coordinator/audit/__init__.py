"""The audit trail (审计日志): every change of state, appended to a hash chain nobody can edit through the app."""
