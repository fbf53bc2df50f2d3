"""Who the client is behind a trusted reverse proxy, and that nobody else can say."""
from __future__ import annotations

from servicepoint.proxies import TrustedProxies, client_address, parse_networks

PROXIES = parse_networks(["10.0.0.5", "10.1.0.0/16", "not a network"])


def test_a_trusted_proxy_names_the_client():
    assert client_address("10.0.0.5", "203.0.113.7", PROXIES) == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    # A guest may write anything at the left end; only the hops our proxies added count.
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.7, 10.1.2.3", PROXIES) == "203.0.113.7"


def test_an_untrusted_peer_cannot_choose_its_address():
    assert client_address("192.168.1.50", "203.0.113.7", PROXIES) == "192.168.1.50"
    assert client_address("192.168.1.50", "203.0.113.7", []) == "192.168.1.50"


def test_garbage_in_the_header_stops_the_walk():
    assert client_address("10.0.0.5", "203.0.113.7, <script>", PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", "", PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", "2001:db8::1", PROXIES) == "2001:db8::1"


def test_the_middleware_rewrites_remote_addr_and_rereads_the_setting():
    seen = {}
    setting = [["10.0.0.5"]]

    def app(environ, start_response):
        seen.update(addr=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"])
        return []

    middleware = TrustedProxies(app, lambda: setting[0], ttl_s=3600)
    environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7",
               "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http"}
    middleware(dict(environ), None)
    assert seen == {"addr": "203.0.113.7", "scheme": "https"}
    setting[0] = []
    middleware(dict(environ), None)
    assert seen["addr"] == "203.0.113.7"  # cached until the TTL or an invalidate()
    middleware.invalidate()
    middleware(dict(environ), None)
    assert seen == {"addr": "10.0.0.5", "scheme": "http"}
