"""Research search: the anonymised text of approved stories whose consent allows research."""
