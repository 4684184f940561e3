"""`serve`: the approvers' web page (bot/web/), run by waitress until stopped (Ctrl-C or SIGTERM).

It reads the same schedule, messages and outbox as the daemon (SQLite under --state-dir, or PostgreSQL), beside
it or on another machine; creates the outbox if there is none yet (users come before the first run). It prints
the address it listens on (with --bind HOST:0, the port the system chose) and logs sign-ins, failures and
approvals without any password, token or session id.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys
from types import FrameType

from bot.commands.common import EXIT_INVALID, EXIT_OK
from bot.commands.webstore import open_web_store
from bot.i18n import _


def parse_bind(text: str) -> tuple[str, int] | None:
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            return None
    return host, int(port)


def main(args: argparse.Namespace) -> int:
    bind = parse_bind(args.bind)
    if bind is None:
        print(_("error: --bind '{bind}' is not HOST:PORT").format(bind=args.bind), file=sys.stderr)
        print("    " + _("hint: e.g. --bind 127.0.0.1:8080 or --bind [::1]:8080"), file=sys.stderr)
        return EXIT_INVALID
    for proxy in args.trusted_proxy:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            print(_("error: --trusted-proxy '{addr}' is not an IP address").format(addr=proxy), file=sys.stderr)
            return EXIT_INVALID
    opened = open_web_store(args)
    if isinstance(opened, int):
        return opened
    store, where, leases = opened
    import waitress  # the web server and framework: only for `serve`

    from bot.web.app import WebConfig, create_app
    from bot.web.views import Campaign

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    campaign = Campaign(args.schedule, args.state_dir, store, where, leases)  # type: ignore[arg-type]  # the outbox
    app = create_app(WebConfig(campaign, store, trusted_proxies=frozenset(args.trusted_proxy)))
    server = waitress.create_server(
        app,
        host=bind[0],
        port=bind[1],
        threads=8,
        max_request_body_size=64 * 1024,
        ident="",
        clear_untrusted_proxy_headers=False,
    )

    def stop(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leaves server.run(); the outbox is closed below

    signal.signal(signal.SIGTERM, stop)
    host = f"[{bind[0]}]" if ":" in bind[0] else bind[0]
    print(
        _("serving the approval page on http://{host}:{port}/ (outbox: {where})").format(
            host=host, port=server.effective_port, where=where
        ),
        flush=True,
    )
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        store.close()
    return EXIT_OK
