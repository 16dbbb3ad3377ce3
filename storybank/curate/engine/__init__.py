"""Pack engines that run without Flask or a database: the balanced set, quote anchoring,
story cards, and the PDF and document renderers, all working on plain data."""
