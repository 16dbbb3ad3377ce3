"""Research exports: the stories a search finds, as CSV, JSON or a REFI-QDA project."""
