"""Batch JSONL tools: one record a line in, one answer a line out, bad lines do not stop a batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO
from typing import Any


def _record_id(line: str) -> Any:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get("id") if isinstance(record, dict) else None


def process_jsonl(
    source: IO[str],
    out: IO[str],
    handle: Callable[[Any], dict[str, Any]],
    describe_failure: Callable[[int, Exception], str],
) -> tuple[int, int]:
    """Answer each line of source into out; return (written, failed).

    A line that is not JSON, or that `handle` refuses with ValueError, gets an error line; any
    other failure gets `describe_failure`'s message, which must quote no input text.
    """
    written = failed = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            result = handle(json.loads(line))
            written += 1
        except json.JSONDecodeError as error:
            result = {"id": None, "error": f"Line {number} is not valid JSON ({error.msg})."}
            failed += 1
        except ValueError as error:
            result = {"id": _record_id(line), "error": str(error)}
            failed += 1
        except Exception as error:
            result = {"id": _record_id(line), "error": describe_failure(number, error)}
            failed += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return written, failed
