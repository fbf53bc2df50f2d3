"""Trusted reverse proxies: see the real client behind a TLS terminator.

When the branch puts a reverse proxy in front of the box, every request comes
from the proxy's address, so per-address limits would lump all clients together
(or let one client lock everyone out). The branch lists its proxies in the
``trusted_proxies`` setting; for a request whose peer is one of them, the client
is the right-most address in ``X-Forwarded-For`` that is not itself a trusted
proxy. Anyone else's ``X-Forwarded-For`` is ignored — a guest cannot choose the
address it is limited by.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Callable, Iterable

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> list[Network]:
    """Networks from ``10.0.0.5`` / ``10.0.0.0/24`` texts; bad entries are skipped."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            log.warning("ignoring trusted proxy %r: not an address or network", value)
    return out


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, networks: list[Network]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None,
                   networks: list[Network]) -> str | None:
    """The client's address for a request from ``peer`` carrying ``X-Forwarded-For``.

    ``peer`` itself unless it is a trusted proxy; then the right-most forwarded
    address that is not a trusted proxy (a malformed entry stops the walk).
    """
    peer_ip = _address(peer or "")
    if peer_ip is None or not networks or not _trusted(peer_ip, networks) or not forwarded_for:
        return peer
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        ip = _address(hop)
        if ip is None:
            break
        client = str(ip)
        if not _trusted(ip, networks):
            break
    return client


class TrustedProxies:
    """WSGI middleware that puts the real client in ``REMOTE_ADDR`` (see the module docstring).

    ``load()`` returns the configured proxies; it is called again at most every
    ``ttl_s`` seconds, so a changed setting applies within seconds without a restart.
    """

    def __init__(self, app, load: Callable[[], Iterable[str]], ttl_s: float = 5.0):
        self.app = app
        self.load = load
        self.ttl_s = ttl_s
        self._networks: list[Network] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def networks(self) -> list[Network]:
        now = time.monotonic()
        if now - self._loaded_at >= self.ttl_s:
            with self._lock:
                if now - self._loaded_at >= self.ttl_s:
                    try:
                        self._networks = parse_networks(self.load())
                    except Exception:  # a locked or missing database: keep the last list
                        log.exception("could not read trusted_proxies")
                    self._loaded_at = now
        return self._networks

    def invalidate(self) -> None:
        """Read the setting again on the next request."""
        self._loaded_at = float("-inf")

    def __call__(self, environ, start_response):
        networks = self.networks()
        if networks:
            peer = environ.get("REMOTE_ADDR")
            client = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), networks)
            if client != peer:
                environ["servicepoint.proxy_addr"] = peer
                environ["REMOTE_ADDR"] = client
                proto = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
                if proto in ("http", "https"):
                    environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def install(app) -> TrustedProxies:
    """Wrap ``app.wsgi_app``; the list comes from the branch's ``trusted_proxies`` setting."""
    from .db import connect, get_setting

    def load() -> list[str]:
        conn = connect(app.config["DATABASE"], readonly=True)
        try:
            return list(get_setting(conn, "trusted_proxies", []) or [])
        finally:
            conn.close()

    middleware = TrustedProxies(app.wsgi_app, load)
    app.wsgi_app = middleware
    app.extensions["servicepoint"]["proxies"] = middleware
    return middleware
