"""Stories, their text versions and the storyteller's consent."""
