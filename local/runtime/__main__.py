"""``python -m local.runtime run`` (make run) and ``invoke`` (make invoke)."""

from __future__ import annotations

import argparse
import sys

from local.runtime import system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole system on loopback")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--https-port", type=int, default=8443, help="HTTPS (self-signed) port")
    run.add_argument(
        "--external-aws",
        action="store_true",
        help="use AWS_ENDPOINT_URL as given (LocalStack) instead of starting moto",
    )
    run.add_argument("--for-seconds", type=float, default=None, help="stop after N seconds")
    invoke_parser = commands.add_parser("invoke", help="run one handler on one event file")
    invoke_parser.add_argument("function", help="function key (collector) or handler string")
    invoke_parser.add_argument(
        "event", help="event JSON file, e.g. events/collector/sqs_batch.json"
    )
    args = parser.parse_args(argv)
    if args.command == "invoke":
        from local.runtime import invoke

        return invoke.main(args.function, args.event)
    if args.command == "run":
        try:
            return system.run(
                port=args.port,
                https_port=args.https_port,
                external_aws=args.external_aws,
                for_seconds=args.for_seconds,
            )
        except system.LocalRunError as exc:
            print(f"make run: {exc}", file=sys.stderr)
            return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
