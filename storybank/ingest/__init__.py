"""The first pipeline stage: check what was saved and prepare it for the stages after."""
