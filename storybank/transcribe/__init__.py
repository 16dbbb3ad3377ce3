"""Transcription: the Whisper engine, the stage and its word timings, WER, and the CLI command."""
