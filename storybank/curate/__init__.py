"""Conversation of Change events: packs built from approved stories, their outputs, and the
actions each event agreed ("you said, we did")."""
