"""People, their roles, and their login sessions."""
