#!/usr/bin/python3
"""The portal speaking HTTPS itself (libmicrohttpd with GnuTLS): a
certificate made here with openssl, a client that verifies it, the session
cookie marked Secure, and plain HTTP on the same port not answered."""
import http.client
import os
import shutil
import subprocess
import sys
import tempfile

from portal_harness import PortalStack, check, verdict


def main():
    d = tempfile.mkdtemp(prefix="jiju-portal-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    p = PortalStack(tls=(cert, key))
    try:
        p.start()  # waits for /healthz over HTTPS with the certificate verified
        check(p.request("GET", "/healthz").status == 200, "GET /healthz over HTTPS")
        r = p.request("GET", "/api/v1/clusters", user="drc-admin")
        check(r.status == 200 and "clusters" in r.json(), "an API call over HTTPS", r)
        cookie, csrf = p.login("drc-admin")
        r = p.request("GET", "/login")
        check(all("Secure" in c for c in r.cookies()), "cookies carry Secure under TLS", r.cookies())
        c = http.client.HTTPConnection("127.0.0.1", p.port, timeout=5)
        try:
            c.request("GET", "/healthz")
            status = c.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            status = type(e).__name__
        check(status != 200, "plain HTTP on the TLS port is not answered", status)
        check(p.portal.alive(), "the portal lives on")
    finally:
        p.cleanup()
        shutil.rmtree(d, ignore_errors=True)
    return verdict("TLS")


if __name__ == "__main__":
    sys.exit(main())
