"""`policyqa` command line: parse the arguments, run the command, map errors to exit codes (2
for usage and settings, 1 for failures), no traceback without --verbose."""

from __future__ import annotations

import argparse
import logging
import sys

from assistant.cli.parser import build_parser
from assistant.core.errors import PolicyQAError

logger = logging.getLogger("policyqa")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return _run(args)
    except PolicyQAError as exc:
        if args.verbose:
            logger.exception("failed")
        print(f"policyqa: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from assistant.cli import commands

    services = commands.make_services(args)
    return int(commands.COMMANDS[args.command](services, args))


if __name__ == "__main__":
    raise SystemExit(main())
