"""The storyteller's check: the reporter shows the storyteller what others will read."""
