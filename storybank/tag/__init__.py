"""Theme tagging: score stories against the codebook, with evidence, and learn from decisions."""
