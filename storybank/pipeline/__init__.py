"""The pipeline: stage wiring, the status state machine, and the jobs that run stages."""
