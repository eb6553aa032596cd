"""The working-day calendar (lịch làm việc): holidays, overrides and deadlines."""
