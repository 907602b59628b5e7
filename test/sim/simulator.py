#!/usr/bin/env python3
"""A local stand-in for the SMS providers' HTTP APIs: Sinch, Reach and
Directcall.

One process serves them all: the Sinch (Wavy/Movile) LATAM SMS API under
/v1 (sinch.py), Interactive Media's Reach API under /reach/api/rest
(reach.py) and Directcall's voice and SMS bulk API under /directcall
(directcall.py), plus a control API under /_sim/ (no auth) through which
tests reset it, change its timing, inject faults and replies, and read back
what the client sent (core.py). See test/sim/README.md for the user's view; the
references are shared/reference/sinch-sms-api.md and
shared/reference/other-providers.md.

Python 3 standard library only.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import core  # noqa: E402
import directcall  # noqa: E402
import reach  # noqa: E402
import sinch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="HTTP port (0: any free)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-port", type=int, help="also serve HTTPS here (0: any free)")
    parser.add_argument("--cert-dir", help="TLS files; created when missing")
    parser.add_argument("--username", default="demo", help="Sinch: the one valid user")
    parser.add_argument("--token", default="demo-token", help="Sinch: its token")
    parser.add_argument("--admin-users", default="demo",
                        help="Sinch: comma-separated users allowed to use subAccount")
    parser.add_argument("--reach-api-key", default="reach-demo-key",
                        help="Reach: the one valid API key")
    parser.add_argument("--reach-api-secret", default="reach-demo-secret",
                        help="Reach: its API secret (signs every request)")
    parser.add_argument("--reach-short-name", default="SIMCO",
                        help="Reach: the account's short name (prefixed to every message)")
    parser.add_argument("--directcall-client-id", default="dc-demo-id",
                        help="Directcall: the one valid client_id")
    parser.add_argument("--directcall-client-secret", default="dc-demo-secret",
                        help="Directcall: its client_secret (traded for access tokens)")
    parser.add_argument("--ready-file", help="write the URLs here (JSON) once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()
    if args.tls_port is not None and not args.cert_dir:
        parser.error("--tls-port needs --cert-dir")

    admins = [u for u in args.admin_users.split(",") if u]
    sim = core.Simulator([
        reach.Reach(args.reach_api_key, args.reach_api_secret, args.reach_short_name),
        directcall.Directcall(args.directcall_client_id, args.directcall_client_secret),
        sinch.Sinch(args.username, args.token, admins),  # last: every other path
    ], verbose=args.verbose)
    core.serve(sim, args.host, args.port, args.tls_port, args.cert_dir, args.ready_file)


if __name__ == "__main__":
    main()
