#!/usr/bin/python3
"""Every `jiju` command and verb answers --help (and -h) as people expect:
usage on standard output, nothing on standard error, exit 0, and nothing
else done (no connection, no key pair made). The commands are the ones
`jiju --help` lists; each verb must also be named in its command's help.
A usage error still goes to standard error with exit 2; `jiju --version`.

usage: test_cli_help.py BUILD_DIR
"""
import os
import re
import subprocess
import sys

BIN = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.environ["JIJU_BIN_DIR"], "cli", "jiju")

VERBS = {
    "cluster": ["register", "update", "recognise", "eliminate", "list"],
    "period": ["open", "close"],
    "ranking": ["show"],
    "archive": ["query", "export", "verify"],
    "subscription": ["add", "list", "remove", "dead-letters", "redeliver"],
}


def run(*args):
    # endpoints nobody listens on: a command that wrongly ran would hang or fail
    env = dict(os.environ, JIJU_INGEST="tcp://127.0.0.1:9", JIJU_ASSESSMENT_QUERY="tcp://127.0.0.1:9")
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=20, env=env)


def expect_help(*args):
    r = run(*args)
    what = "jiju " + " ".join(args)
    assert r.returncode == 0, f"{what}: exit {r.returncode}, stderr {r.stderr!r}"
    assert r.stdout.strip(), f"{what}: empty stdout"
    assert "usage" in r.stdout, f"{what}: no usage in {r.stdout!r}"
    assert r.stderr == "", f"{what}: stderr {r.stderr!r}"
    assert not re.search(r'"public"\s*:\s*"[^"]{40}"', r.stdout), f"{what} made a key pair"
    return r.stdout


def main():
    top = expect_help("--help")
    commands = re.findall(r"^  (\w[\w-]*) ", top, re.M)
    assert len(commands) >= 11, commands
    walked = 0
    for cmd in commands:
        text = expect_help(cmd, "--help")
        expect_help(cmd, "-h")
        expect_help("help", cmd)
        walked += 3
        for verb in VERBS.get(cmd, []):
            assert verb in text, f"jiju {cmd} --help does not name {verb}"
            expect_help(cmd, verb, "--help")
            expect_help(cmd, verb, "2023", "--help")  # after other arguments too
            walked += 2
    for cmd in VERBS:
        assert cmd in commands, f"{cmd} missing from jiju --help"
    r = run("--version")
    assert r.returncode == 0 and re.match(r"jiju \d+\.\d+\.\d+", r.stdout), r.stdout
    r = run("submit")
    assert r.returncode == 2 and "usage" in r.stderr and r.stdout == "", r
    r = run("cluster", "frobnicate")
    assert r.returncode == 2 and "unknown verb" in r.stderr, r
    print(f"PASS: {walked} help invocations over {len(commands)} commands")


if __name__ == "__main__":
    main()
