"""portal_harness - the four services (jiju_harness.Stack) plus a real
jiju-portal process in front of them, users with hashed passwords and API
tokens made by `jiju-portal hash-password` / `new-token`, and the seed's
demo data loaded through the portal's own JSON API.

Used by test_portal_api.py, test_portal_feed.py and the browser test."""
import http.client
import json
import os
import subprocess
import tempfile
import time
import urllib.parse

from jiju_harness import BIN, SRC, Proc, Stack, free_base, keygen, wait_until

DATA = os.path.join(SRC, "tests", "integration", "data")
PORTAL = f"{BIN}/services/portal/jiju-portal"

# name -> (role entry, password)
USERS = {
    "drc-admin": ({"role": "admin"}, "demo-admin-密码"),
    "jl-wl-001-org": ({"role": "reporter", "clusters": ["JL-WL-001"]}, "reporter-pass"),
    "fgw": ({"role": "subscriber", "subscriber": "fgw"}, "fgw-pass"),
    "czj": ({"role": "subscriber", "subscriber": "czj"}, "czj-pass"),
    "tjj": ({"role": "subscriber", "subscriber": "tjj"}, "tjj-pass"),
}


failures = []


def check(cond, what, got=None):
    """One expectation of a portal test: printed, and counted when it fails."""
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {got!r}"))
    if not cond:
        failures.append(what)


def verdict(what):
    """The test's closing line and exit code."""
    print(f"{len(failures)} failed" if failures else f"all portal {what} checks passed")
    return 1 if failures else 0


def hash_password(pw):
    return subprocess.run([PORTAL, "hash-password"], input=pw + "\n", capture_output=True,
                          text=True, check=True).stdout.strip()


def new_token():
    out = subprocess.run([PORTAL, "new-token"], capture_output=True, text=True, check=True).stdout
    kv = dict(line.split("=", 1) for line in out.split())
    return kv["token"], kv["sha256"]


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def cookies(self):
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class PortalStack:
    def __init__(self, extra_portal_args=(), tls=None, curve=False, service_args=None):
        """curve: every service on CURVE; the portal with its own key pair
        (role admin) and fgw's subscriber key pair (czj has none).
        service_args: as Stack's (extra argv of the services)."""
        work = tempfile.mkdtemp(prefix="jiju-portal-")
        security, curve_args = None, []
        if curve:
            kd = os.path.join(work, "portal-keys")
            os.makedirs(os.path.join(kd, "subscribers"))
            security = [{"public": keygen(os.path.join(kd, "portal.key"), "portal"), "name": "portal",
                         "role": "admin"},
                        {"public": keygen(os.path.join(kd, "subscribers", "fgw.key"), "fgw"),
                         "name": "fgw", "role": "subscriber", "subscriber": "fgw"}]
            curve_args = ["--set", f"security.secret_key_file={kd}/portal.key",
                          "--set", f"security.subscriber_keys_dir={kd}/subscribers"]
        self.stack = Stack(workdir=work, security=security, service_args=service_args)
        for svc in ("ingest", "assessment", "archive", "notification") if curve else ():
            curve_args += ["--set", f"security.{svc}_public_key={self.stack.public[svc]}"]
        self.work = self.stack.work
        self.port = free_base(2)
        self.tls = tls  # None or (cert_file, key_file)
        self.tokens = {}
        users = []
        for name, (entry, pw) in USERS.items():
            tok, sha = new_token()
            self.tokens[name] = tok
            users.append(dict(entry, name=name, password_hash=hash_password(pw),
                              token_sha256=[sha]))
        self.users_file = os.path.join(self.work, "portal-users.json")
        with open(self.users_file, "w") as f:
            json.dump({"users": users}, f, ensure_ascii=False, indent=1)
        self.secret_file = os.path.join(self.work, "portal-secret")
        with open(self.secret_file, "wb") as f:
            f.write(os.urandom(48).hex().encode())
        ep = self.stack.ep
        args = [PORTAL, "--set", f"http.port={self.port}",
                "--set", f"ingest.endpoints={','.join(self.stack.ingest_eps)}",
                "--set", f"assessment.endpoint={ep['assessment_query']}",
                "--set", f"archive.endpoint={ep['archive_query']}",
                "--set", f"notification.deliveries_endpoint={ep['deliveries']}",
                "--set", f"auth.users_file={self.users_file}",
                "--set", f"auth.session_secret_file={self.secret_file}",
                "--set", f"web.dir={SRC}/services/portal/web",
                "--set", f"web.vendor_dir={BIN}/web/vendor",
                "--set", "feed.heartbeat_ms=200", "--set", "rpc.timeout_ms=2000"]
        if tls:
            args += ["--set", f"tls.cert_file={tls[0]}", "--set", f"tls.key_file={tls[1]}"]
        self.portal = Proc("portal", args + curve_args + list(extra_portal_args),
                           os.path.join(self.work, "portal.log"), self.stack.env)
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    # ---- processes ----
    def start(self):
        self.stack.start_all()
        self.start_portal()

    def start_portal(self):
        self.portal.start()
        wait_until(lambda: self._healthy(), 30, 0.1, "portal /healthz")

    def _healthy(self):
        if not self.portal.alive():
            raise RuntimeError("portal died:\n" + open(self.portal.logpath).read()[-3000:])
        try:
            return self.request("GET", "/healthz").status == 200
        except OSError:
            return False

    def cleanup(self):
        self.portal.stop()
        self.stack.cleanup()

    # ---- HTTP ----
    def conn(self):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(cafile=self.tls[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, user=None, headers=None, raw=None):
        """user: a name in USERS (its Bearer token) or None; body: JSON-able
        (sent as application/json) or raw bytes in raw."""
        h = dict(headers or {})
        if user:
            h["Authorization"] = f"Bearer {self.tokens[user]}"
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        c = self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def login(self, name):
        """A browser-like sign-in with the form; returns (cookie header, csrf)."""
        r = self.request("GET", "/login")
        nonce = [c.split(";")[0] for c in r.cookies() if c.startswith("jiju_login=")][0]
        token = r.body.decode().split('name="csrf_token" value="')[1].split('"')[0]
        form = urllib.parse.urlencode({"user": name, "password": USERS[name][1],
                                       "csrf_token": token})
        r = self.request("POST", "/login", raw=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": nonce})
        assert r.status == 303, r
        cookie = [c.split(";")[0] for c in r.cookies() if c.startswith("jiju_session=")][0]
        s = self.request("GET", "/api/v1/session", headers={"Cookie": cookie}).json()
        return cookie, s["csrf_token"]

    # ---- the seed's demo data, through the API ----
    def submit_report(self, report, user="drc-admin", until_known=True):
        """POST a report; while ingest does not know the cluster yet (it
        learns the registry from assessment's events) ask again."""
        deadline = time.monotonic() + 30
        while True:
            r = self.request("POST", "/api/v1/reports", report, user=user)
            codes = {p["code"] for p in r.json().get("problems", [])} if r.status == 422 else set()
            if not (until_known and "E_UNKNOWN_CLUSTER" in codes) or time.monotonic() > deadline:
                return r
            time.sleep(0.1)

    def ranking(self, period, user="drc-admin"):
        return self.request("GET", f"/api/v1/rankings/{period}", user=user).json()

    def applied(self, period, reports):
        """True once assessment's ranking of period counts every report
        (the enterprises each reported are the raw value it ranks by)."""
        got = {}
        for e in self.ranking(period).get("entries", []):
            for c in e.get("contributions", []):
                if c["indicator"] == "enterprises" and not c.get("imputed"):
                    got[e["cluster_id"]] = c.get("raw", 0)
        return all(got.get(r["cluster_id"]) == r["enterprises"] for r in reports)

    def load_demo(self, close=True):
        for item in json.load(open(os.path.join(DATA, "demo_clusters.json"))):
            if item["command"] == "register_cluster":
                r = self.request("POST", "/api/v1/clusters", item["cluster"], user="drc-admin")
                assert r.status in (200, 201), r
        for year in ("2022", "2023"):
            r = self.request("POST", "/api/v1/periods", {"period": year}, user="drc-admin")
            assert r.status in (200, 201), r
            reports = json.load(open(os.path.join(DATA, f"demo_reports_{year}.json")))
            for rep in reports:
                r = self.submit_report(rep)
                assert r.status in (200, 201), (rep["report_id"], r)
            wait_until(lambda: self.applied(year, reports), 30, 0.1,
                       f"ranking {year} counting {len(reports)} reports")
            if year == "2023":
                r = self.request("POST", "/api/v1/commands", {"record_recognition": {
                    "cluster_id": "JL-WL-002", "document": "吉省发改服务〔2023〕12号"}},
                    user="drc-admin")
                assert r.status == 201, r
            if close:
                r = self.request("POST", f"/api/v1/periods/{year}/close", user="drc-admin")
                assert r.status == 201, r
                wait_until(lambda: self.ranking(year).get("final"), 30, 0.1,
                           f"ranking {year} final")
