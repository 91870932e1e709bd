#!/usr/bin/env python3
"""Replays docs/MSP.md, an MSP's day, against a real kdad.

The guide is read the way admin_guide_test.py reads ADMIN.md (its
normalizing, matching and SAS/session learning are reused from there): a
fenced block whose first line is `$ COMMAND` is a transcript, run in
document order against one kdad, and each command's output (stdout and
stderr together) must match the lines the guide shows, after normalizing
times, dates, ports, session ids and SAS codes. Besides:

- The people. The guide's users (alice, dana, rita, omar, victor) have no
  accounts here: each gets a uid of its own (USERS below). The kdad.toml
  the test writes names those uids where the guide names users (a grant's
  `user` may be a uid), a `sudo -u NAME kdactl ...` line runs kdactl as
  NAME's uid through setpriv(1) (--reuid/--regid, --clear-groups), and
  the uids in the output ("uid 61002", "61004 may not ...") read as the
  names again. This needs root: without it the test exits 77 (skipped),
  as it does when kdactl cannot run as those uids (a private directory above it).
- kdad.toml. The block after prose that names `kdad.toml` and ends in ':'
  is the configuration: one that starts with [daemon] is the whole file,
  any other is appended to it. `sudo systemctl restart kdad` restarts kdad
  on the same state directory with the file as it is then. The socket goes
  to a directory of the test's, sendmail is tests/support/fake-sendmail.
- Customer ids. kdad draws them at random: the id a `customers add` prints
  stands for the guide's id from then on (in commands, the configuration,
  and the output, which shows the guide's id again).
- The upload mail. A block that starts with `To: ` is the mail kdad sends
  through sendmail; it must match the one fake-sendmail recorded last.

--show prints what each command printed this time (with the guide's
names and ids), to write the guide from.

Exit 0 when everything matches the guide, 1 with a diff per difference,
77 when not run as root or when kdactl cannot run as another uid.
"""

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admin_guide_test as guide  # noqa: E402  (its helpers; its main() is not run)
from guide_replay import fenced_blocks  # noqa: E402

# The guide's people and the uids that stand for them (no such accounts).
USERS = {"alice": 61001, "dana": 61002, "rita": 61003, "omar": 61004, "victor": 61005}

# What the guide shows in a real installation, and what stands for it here.
GUIDE_SOCKET = "/run/kdad/kdad.sock"
GUIDE_SENDMAIL = "/usr/sbin/sendmail"

# Normalized after admin_guide_test's patterns: a CSV's dates, a mail's Date.
EXTRA_NORMALIZE = [
    (r"\b\d{4}-\d{2}-\d{2}\b", "<DATE>"),
    (r"^Date: (.+)$", "<MAILDATE>"),
]


def normalize(line):
    line = guide.normalize(line)
    for pattern, placeholder in EXTRA_NORMALIZE:
        line = guide.sub_placeholder(pattern, placeholder, line)
    return line


class Step:
    """One thing the guide shows: a command, a configuration, a mail."""

    def __init__(self, kind, line_no, text, expected=()):
        self.kind, self.line_no, self.text, self.expected = kind, line_no, text, list(expected)


def parse_guide(text):
    """Returns (steps in document order, files the guide shows by name)."""
    steps, files = [], {}
    for start, block, said, _ in fenced_blocks(text):
        named = re.findall(r"`(?:[\w./-]*/)?([\w.-]+\.(?:json|csv|toml))`", said)
        if block and block[0].startswith("$ "):
            steps.extend(transcript(block, start))
            # `$ cat FILE` shows a file: the test writes it from what is shown.
            files.update({s.text.split()[1]: "\n".join(s.expected) + "\n"
                          for s in steps if s.text.startswith("cat ")})
        elif block and block[0].startswith("To: "):
            steps.append(Step("mail", start, "", block))
        elif named and said.endswith(":"):
            if named[-1] == "kdad.toml":
                steps.append(Step("config", start, "\n".join(block) + "\n"))
            else:
                files[named[-1]] = "\n".join(block) + "\n"
    return steps, files


def transcript(block, start):
    steps, j = [], 0
    while j < len(block):
        if block[j].startswith("$ "):
            line_no, cmd = start + j + 1, block[j][2:]
            while cmd.endswith("\\"):
                j += 1
                cmd = cmd[:-1].rstrip() + " " + block[j].strip()
            steps.append(Step("command", line_no, cmd))
        else:
            steps[-1].expected.append(block[j])
        j += 1
    return steps


class Replay:
    """The run: kdad, its configuration, and what the guide's values stand for."""

    def __init__(self, bin_dir, source, work):
        self.bin_dir, self.work = bin_dir, work
        self.desk = guide.Desk(bin_dir, work)
        self.desk.socket = os.path.join(work, "run", "kdad.sock")
        self.config = os.path.join(work, "kdad.toml")
        self.sendmail = os.path.join(source, "tests", "support", "fake-sendmail")
        self.mail_out = os.path.join(work, "mail.out")
        self.customers = {}  # the guide's customer id -> this run's
        self.learned = {}    # the guide's SAS codes and session ids -> this run's
        self.last_rc = 0

    def start(self):
        os.environ["KDA_FAKE_SENDMAIL_OUT"] = self.mail_out
        self.desk.start(["--config", self.config])

    def to_run(self, text):
        """The guide's text with this run's values: customer ids, users, paths."""
        for guide_id, real in {**self.customers, **self.learned}.items():
            text = re.sub(rf"\b{re.escape(guide_id)}\b", real, text)
        text = text.replace(GUIDE_SOCKET, self.desk.socket).replace(GUIDE_SENDMAIL, self.sendmail)
        return re.sub(r'^(user = )"(\w+)"', lambda m: f'{m.group(1)}"{USERS.get(m.group(2), m.group(2))}"',
                      text, flags=re.M)

    def to_guide(self, line):
        """A line of output as the guide shows it: names for uids, the guide's customer ids."""
        for name, uid in USERS.items():
            line = re.sub(rf"(?<![\d:.])(?:uid )?{uid}(?!\d)", name, line)
        for guide_id, real in self.customers.items():
            line = re.sub(rf"\b{real}\b", guide_id, line)
        return line.replace(self.desk.socket, GUIDE_SOCKET)

    def write_config(self, text):
        mode = "w" if text.startswith("[daemon]") else "a"
        with open(self.config, mode, encoding="utf-8") as f:
            f.write(("" if mode == "w" else "\n") + self.to_run(text))

    def run(self, cmd, expected):
        """Runs one of the guide's commands; returns what it printed, as the guide would show it."""
        if cmd == "sudo systemctl restart kdad":
            self.desk.stop()
            self.start()
            return []
        if cmd == "echo $?":
            return [str(self.last_rc)]
        real = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:" + self.desk.port, self.to_run(cmd))
        user = re.match(r"sudo -u (\w+) (.*)", real)
        argv_prefix = []
        if user:
            uid = USERS[user.group(1)]
            argv_prefix, real = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"], user.group(2)
        if real.rstrip().endswith("&"):
            actual = guide.run_background(self.desk, real.rstrip()[:-1], len(expected))
        else:
            r = subprocess.run(argv_prefix + self.desk.shell(real), cwd=self.work, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=30)
            self.last_rc = r.returncode
            actual = r.stdout.rstrip("\n").split("\n") if r.stdout else []
        actual = [self.to_guide(a) for a in actual]
        if re.search(r"\bkdactl confirm ", real) and self.last_rc == 0:
            self.wait_for_deliveries()
        if re.match(r"sudo -u \w+ kdactl customers add ", cmd) and len(expected) == 1 and len(actual) == 1 \
                and re.fullmatch(r"\d{10}", expected[0]) and re.fullmatch(r"\d{10}", actual[0]):
            self.customers[expected[0]] = actual[0]
            actual = [expected[0]]
        guide.learn(expected, actual, self.learned)
        return actual

    def wait_for_deliveries(self):
        """A confirmed package goes out after confirm returns: wait until no session is under way,
        so that what the guide shows next sees the device provisioned."""
        deadline = time.time() + 10
        while time.time() < deadline:
            r = self.desk.kdactl("--json", "sessions")
            if r.returncode == 0 and '"id"' not in r.stdout:
                break
            time.sleep(0.05)
        # The session is gone once its outcome is handed to the store; on a
        # busy machine the row may land a moment later.
        while time.time() < deadline:
            r = self.desk.kdactl("--json", "devices", "list")
            if r.returncode == 0 and '"Provisioning"' not in r.stdout:
                return
            time.sleep(0.05)

    def mail(self):
        """The last message fake-sendmail recorded (kdad sends it on a thread of its own)."""
        deadline = time.time() + 5
        while time.time() < deadline:
            if os.path.exists(self.mail_out):
                with open(self.mail_out, encoding="utf-8") as f:
                    text = f.read()
                if text.endswith("--- end\n"):
                    body = text.rsplit("--- message\n", 1)[1][:-len("--- end\n")]
                    return [self.to_guide(line) for line in body.rstrip("\n").split("\n")[1:]]
            time.sleep(0.05)
        return ["(no mail was sent)"]


def replay(args, steps, files):
    failures, shown, checked = [], [], 0
    with tempfile.TemporaryDirectory(prefix="kda-msp-guide.") as work:
        # The guide's users read its files and reach the socket's directory.
        os.chmod(work, 0o755)
        os.makedirs(os.path.join(work, "run"), mode=0o755)
        for name, text in files.items():
            with open(os.path.join(work, name), "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(os.path.join(work, name), 0o644)
        r = Replay(os.path.abspath(args.bin), os.path.abspath(args.source), work)
        os.makedirs(r.desk.state_dir, mode=0o700)
        try:
            for step in steps:
                where = f"{os.path.basename(args.guide)}:{step.line_no}"
                if step.kind == "config":
                    r.write_config(step.text)
                    continue
                if step.kind == "mail":
                    actual, what = r.mail(), "(the upload mail)"
                elif step.text.startswith("cat "):
                    shown_file = files.get(step.text.split()[1], "")
                    actual, what = shown_file.rstrip("\n").split("\n"), step.text
                else:
                    if r.desk.kdad is None and step.text != "sudo systemctl restart kdad":
                        sys.exit(f"{where}: the guide runs a command before it starts kdad")
                    actual, what = r.run(step.text, step.expected), step.text
                checked += 1
                shown.append((where, what, actual))
                expected, got = [normalize(e) for e in step.expected], [normalize(a) for a in actual]
                if re.search(r"\bresellers list\b", step.text):
                    # kdad lists registrations by customer id, and this run's ids sort
                    # differently from the guide's: the rows may come in another order.
                    expected, got = expected[:1] + sorted(expected[1:]), got[:1] + sorted(got[1:])
                if not guide.matches(expected, got):
                    failures.append((where, what, step.expected, actual))
        finally:
            r.desk.stop()
    return failures, shown, checked


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory with kdad, kdactl and kda-target")
    ap.add_argument("--guide", required=True, help="docs/MSP.md")
    ap.add_argument("--source", required=True, help="the source tree (for tests/support/fake-sendmail)")
    ap.add_argument("--show", action="store_true", help="print what each command printed")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: the guide's users are run as other uids, which needs root")
        return 77
    uid = next(iter(USERS.values()))
    probe = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                            os.path.join(os.path.abspath(args.bin), "kdactl"), "--version"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"skipped: kdactl does not run as uid {uid} (a private directory above it?): "
              f"{(probe.stderr or probe.stdout).strip()}")
        return 77
    with open(args.guide, encoding="utf-8") as f:
        steps, files = parse_guide(f.read())
    started = time.time()
    failures, shown, checked = replay(args, steps, files)
    if args.show:
        for where, what, actual in shown:
            print(f"--- {where}: $ {what}")
            print("\n".join(actual))
    for where, what, expected, actual in failures:
        print(f"\n{where}: $ {what}")
        sys.stdout.writelines(difflib.unified_diff([e + "\n" for e in expected], [a + "\n" for a in actual],
                                                   "the guide", "now"))
    print(f"\n{checked} steps checked, {len(failures)} differ from the guide ({time.time() - started:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
