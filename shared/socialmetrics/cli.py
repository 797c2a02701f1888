"""The ``socialmetrics`` command line: migrations, first admin, users, key rotation.

    socialmetrics migrate
    socialmetrics create-admin --name "Ops" --email ops@example.com   # prints the key once
    socialmetrics create-user --name "Ana" --email ana@example.com [--role client]
    socialmetrics issue-key --user-id 2            # a further API key for a user (printed once)
    socialmetrics revoke-key --prefix sm_live_ab12cd34
    socialmetrics rotate-keys [--to-key alias/socialmetrics-tokens]

``rotate-keys`` re-wraps every account data key and platform credential under the target KMS
key (default: the key ``KMS_KEY_ALIAS`` points at now) with ``ReEncrypt``; no token is ever
decrypted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _create(args: argparse.Namespace, role: str) -> int:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.errors import Conflict
    from socialmetrics.identity.service import create_user_with_key

    try:
        with unit_of_work() as session:
            user_id, key = create_user_with_key(session, args.name, args.email, role)
    except Conflict as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(json.dumps({"user_id": user_id, "role": role, "api_key": key}))
    print("Store this API key now: it is shown only once.", file=sys.stderr)
    return 0


def _issue_key(args: argparse.Namespace) -> int:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.db.models import User
    from socialmetrics.identity.service import issue_api_key

    with unit_of_work() as session:
        user = session.get(User, args.user_id)
        if user is None or user.erased_at is not None:
            print(f"error: no user {args.user_id}", file=sys.stderr)
            return 1
        new = issue_api_key(session, user.id, label=args.label)
    print(json.dumps({"user_id": args.user_id, "api_key": new.key.get_secret_value()}))
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.identity.service import revoke_api_key

    with unit_of_work() as session:
        revoked = revoke_api_key(session, args.prefix)
    print(json.dumps({"prefix": args.prefix, "revoked": revoked}))
    return 0 if revoked else 1


def _rotate(args: argparse.Namespace) -> int:
    from socialmetrics.accounts.service import rotate_wrapping_keys
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.security.envelope import EnvelopeError

    try:
        with unit_of_work() as session:
            report = rotate_wrapping_keys(session, args.to_key)
    except EnvelopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "target_key": report.target_key,
                "accounts": report.accounts,
                "platforms": report.platforms,
            }
        )
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from socialmetrics.db import migrate

    migrate.upgrade()
    print(json.dumps({"revision": migrate.current()}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialmetrics", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    for name, role in (("create-admin", "admin"), ("create-user", None)):
        sub = commands.add_parser(
            name, help=f"create a{'n admin' if role else ' user'}; prints its API key once"
        )
        sub.add_argument("--name", required=True)
        sub.add_argument("--email", required=True)
        if role is None:
            sub.add_argument("--role", choices=("admin", "client"), default="client")
        sub.set_defaults(run=lambda a, r=role: _create(a, r or a.role))
    issue = commands.add_parser("issue-key", help="issue another API key for a user")
    issue.add_argument("--user-id", type=int, required=True)
    issue.add_argument("--label", default=None)
    issue.set_defaults(run=_issue_key)
    revoke = commands.add_parser("revoke-key", help="revoke an API key by its prefix")
    revoke.add_argument("--prefix", required=True)
    revoke.set_defaults(run=_revoke_key)
    rotate = commands.add_parser("rotate-keys", help="re-wrap every data key (KMS ReEncrypt)")
    rotate.add_argument("--to-key", default=None, help="key id, ARN or alias (default: alias)")
    rotate.set_defaults(run=_rotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
