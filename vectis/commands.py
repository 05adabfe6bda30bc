"""What the operator commands share: the `--progress` option and the bar it turns on.

Bars go to stderr, and only when it is a terminal or `--progress` is given, so that pipes,
cron mail and tests see only the command's own output.
"""

import sys

from tqdm import tqdm


def add_progress_argument(parser) -> None:
    parser.add_argument(
        "--progress",
        action="store_true",
        help="Show a progress bar on stderr even when it is not a terminal (it is shown on a "
        "terminal anyway).",
    )


def progress_bar(command, *, total: int | None, desc: str, unit: str, enabled: bool) -> tqdm:
    """A tqdm bar on the command's stderr; a silent no-op bar unless `enabled` or stderr is a
    terminal."""
    # The raw stream: Django's OutputWrapper ends every write with a newline, which would
    # turn each redraw of the bar into a line of its own.
    stream = getattr(command.stderr, "_out", sys.stderr)
    shown = enabled or (hasattr(stream, "isatty") and stream.isatty())
    return tqdm(total=total, desc=desc, unit=unit, file=stream, disable=not shown, leave=True)
