#!/usr/bin/env python3
"""Replays the transcripts of docs/ADMIN.md section 2 against a real kdad.

A fenced block of the guide whose first line is `$ COMMAND` and that runs
kdactl, kdad or kda-target is a transcript: each `$ ` line is a command (a
line ending in `\\` goes on in the next), and the lines up to the next `$ `
line are what it prints (stdout and stderr together). This script starts one
kdad in a temporary state directory, runs section 2's transcripts in
document order (so the state builds up as in the guide) and compares the
output, after normalizing what differs from run to run (times, pids, ports,
keys, session ids, SAS codes, package ids, paths, free disk). A line `...`
in the guide stands for any number of lines ("cut short here").

Exit 0 when every command prints what the guide shows; otherwise a unified
diff per command and exit 1.
"""

import argparse
import difflib
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

from guide_replay import fenced_blocks

# Commands that are not run, each with its reason. The key is the command as
# the guide writes it.
EXCLUDED = {
    "kdactl devices import --ignore-unknown-columns kme-export.csv":
        "needs a 120-device portal export that the guide does not show",
    "kdactl devices import floor-3.csv":
        "illustrates a later import; running it would change the inventory the walk-through goes on with",
    "kdactl ledger --follow -n 3":
        "runs until Ctrl-C (the binary tests cover --follow)",
    "kdactl monitor":
        "runs until Ctrl-C and prompts at a terminal (monitor_binary_test covers it)",
    "kdactl monitor --fleet":
        "runs until Ctrl-C and watches other desks of a fleet (tests/fleet/fleet_views_test covers it)",
    'kdactl profile delete "Staging default"':
        "the guide says this refusal comes from another desk; here it would delete the profile 2.8 uses",
}

# Commands that are not kdad's business: shell built-ins and system tools.
SKIPPED_PROGRAMS = ("ls", "systemctl", "journalctl", "sudo", "cmake", "alias")

# Files the walk-through uses that the guide describes but does not show.
# (Files it does show, such as warehouse.json, kdad.toml and reseller-42.csv,
# are taken from the guide itself; examples/ comes from the source tree.)
FIXTURES = {
    # An unknown field, a '/' in the name, an http:// URL, a malformed
    # checksum and a token lifetime that is too short.
    "bad.json": """{
  "name": "Warehouse/night",
  "colour": "blue",
  "company_name": "Example Corp",
  "mdm_agent_apk_url": "http://mdm.example.com/downloads/mdm-agent.apk",
  "admin_component_name": "com.example.mdm/.DeviceAdminReceiver",
  "signature_checksum": "not-a-checksum",
  "server_url": "https://mdm.example.com/enroll",
  "token_validity_days": 3
}
""",
    "bad-devices.csv": "imei,serial,tags\n"
                       "490154203237519,R58M00000A1,floor-2\n"
                       ",,floor-2\n"
                       "356938035643809,R58M00000A3,a;b;c;d;e;f\n"
                       "356938035643809,R58M00000A4,floor-2\n",
    # For the --dry-run example: one device updated in its credentials, one
    # moved to a profile, one added and one left as it is.
    "floor-3.csv": "imei,serial,user_id,password,profile\n"
                   "490154203237518,R58M12345AB,bob,example-password-2,\n"
                   "356938035643809,R58M99999ZZ,,,Warehouse scanners\n"
                   ",R58N00000XY,,,\n"
                   ",TAB-A8-0003,,,\n",
}

PROGRAMS = ("kdactl", "kdad", "kda-target")
GUIDE_STATE_DIR = "/tmp/admin-doc"

# What varies from run to run: (pattern, placeholder). A pattern's group 1,
# when it has one, is the varying part; the rest must match.
NORMALIZE = [
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z", "<ISO>"),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "<TIME>"),
    (r'_ms":"(\d+)"', "<MS>"),
    (r"\bpid (\d+)", "<PID>"),
    (r'"pid":(\d+)', "<PID>"),
    (r"\bup (\d+[smhd](?: \d+[smhd])*)", "<UP>"),
    (r'"age_seconds":(\d+)', "<AGE>"),
    (r"\s(\d+s)$", "<AGE>"),
    (r"127\.0\.0\.1:(\d+)", "<PORT>"),
    (r"\b([0-9a-f]{64})\b", "<KEY>"),
    (r'"primary":"([0-9a-f]{8})"', "<PRIMARY>"),
    (r"\bprimary ([0-9a-f]{8})\b", "<PRIMARY>"),
    (r"\(id ([0-9a-f]{8})\)", "<PRIMARY>"),
    (r'"primary_id":"([0-9a-f]{8})"', "<PRIMARY>"),
    (r"(/\S*/)kdad\.toml", "<DIR>/"),
    (r"\bpackage ([0-9a-f]{16})\b", "<PACKAGE>"),
    (r"SAS code: (\d{3} \d{3})", "<SAS>"),
    (r'"sas":"(\d{6})"', "<SAS>"),
    (r"\bSAS (\d{6})\b", "<SAS>"),
    (r"\bsession ([0-9a-f]{8})\b", "<SESSION>"),
    (r'"(?:id|session)":"([0-9a-f]{8})"', "<SESSION>"),
    # A ledger or sessions row: tcp, then the session id and the SAS code.
    (r"\btcp +([0-9a-f]{8}) +\d{6}\b", "<SESSION>"),
    (r"\btcp +<SESSION> +(\d{6})\b", "<SAS>"),
    (r"^([0-9a-f]{8})  +tcp\b", "<SESSION>"),
    (r"\b(\d{6})  +awaiting confirmation", "<SAS>"),
    (r"(\d+(?:\.\d+)? [KMGT]iB) free", "<FREE>"),
    (r'"free_bytes":"(\d+)"', "<FREE>"),
]
# Values learned from the output that later commands use (the guide's SAS
# code or session id stands for this run's).
LEARN = {"<SAS>", "<SESSION>"}


def sub_placeholder(pattern, placeholder, line):
    def repl(m):
        if m.re.groups == 0:
            return placeholder
        return m.group(0)[:m.start(1) - m.start(0)] + placeholder + m.group(0)[m.end(1) - m.start(0):]
    return re.sub(pattern, repl, line)


def normalize(line):
    for pattern, placeholder in NORMALIZE:
        line = sub_placeholder(pattern, placeholder, line)
    return line


def normalize_upto(line, stop):
    for pattern, placeholder in NORMALIZE:
        if pattern == stop:
            break
        line = sub_placeholder(pattern, placeholder, line)
    return line


def learn(expected, actual, mapping):
    """Pairs the guide's SAS codes and session ids with this run's."""
    for pattern, placeholder in NORMALIZE:
        if placeholder not in LEARN or re.compile(pattern).groups == 0:
            continue
        e = [m.group(1) for line in expected for m in re.finditer(pattern, normalize_upto(line, pattern))]
        a = [m.group(1) for line in actual for m in re.finditer(pattern, normalize_upto(line, pattern))]
        if len(e) == len(a):
            for x, y in zip(e, a):
                mapping[x] = y
                if placeholder == "<SAS>":
                    mapping[x.replace(" ", "")] = y.replace(" ", "")


def matches(expected, actual):
    """expected may hold `...` lines, each standing for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


class Transcript:
    def __init__(self, section, line_no, commands):
        self.section = section
        self.line_no = line_no
        self.commands = commands  # [(line number, command, [expected lines])]


def parse_guide(text):
    """Returns (transcripts of section 2, files shown in the guide)."""
    transcripts, files = [], {}
    for start, block, said, section in fenced_blocks(text):
        # A block right after prose that ends in "`NAME.ext`...:" is that file.
        named = re.findall(r"`([\w.-]+\.(?:json|csv|toml))`", said)
        if named and said.endswith(":") and not (block and block[0].startswith("$ ")):
            files[named[-1]] = "\n".join(block) + "\n"
        if not block or not block[0].startswith("$ "):
            continue
        commands, j = [], 0
        while j < len(block):
            if block[j].startswith("$ "):
                line_no = start + j + 1
                cmd = block[j][2:]
                while cmd.endswith("\\"):
                    j += 1
                    cmd = cmd[:-1].rstrip() + " " + block[j].strip()
                commands.append((line_no, cmd, []))
            else:
                commands[-1][2].append(block[j])
            j += 1
        for _, cmd, expected in commands:
            if cmd.startswith("cat "):
                files[cmd.split()[1]] = "\n".join(expected) + "\n"
        if any(c.split()[0] in PROGRAMS or c.startswith("build/bin/") for _, c, _ in commands):
            transcripts.append(Transcript(section, start, commands))
    return [t for t in transcripts if t.section.split(".")[0] == "2"], files


class Desk:
    def __init__(self, bin_dir, work):
        self.bin_dir, self.work = bin_dir, work
        self.state_dir = os.path.join(work, "state")
        self.socket = os.path.join(self.state_dir, "kdad.sock")
        self.kdad = None
        self.port = None
        self.background = []  # kda-target processes started with &

    def kdactl(self, *args):
        return subprocess.run([os.path.join(self.bin_dir, "kdactl"), "--socket", self.socket, *args],
                              capture_output=True, text=True, timeout=30)

    def start(self, extra=()):
        log = open(os.path.join(self.work, "kdad.log"), "a")
        self.kdad = subprocess.Popen([os.path.join(self.bin_dir, "kdad"), "--state-dir", self.state_dir,
                                      "--socket", self.socket, "--tcp", "127.0.0.1:0", *extra],
                                     cwd=self.work, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.kdad.poll() is not None:
                with open(log.name) as f:
                    sys.exit(f"kdad exited with {self.kdad.returncode}:\n{f.read()}")
            r = self.kdactl("status")
            if r.returncode == 0:
                self.port = re.search(r"^tcp +yes +127\.0\.0\.1:(\d+)", r.stdout, re.M).group(1)
                return
            time.sleep(0.05)
        sys.exit("kdad did not answer on its control socket within 10 s")

    def stop(self):
        if self.kdad and self.kdad.poll() is None:
            self.kdad.send_signal(signal.SIGTERM)
            self.kdad.wait(timeout=10)
        for p, _ in self.background:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.background = []

    def shell(self, command):
        """Runs a guide command through bash, with kdactl and kda-target aimed at this desk."""
        prelude = (f"kdactl() {{ {shlex.quote(os.path.join(self.bin_dir, 'kdactl'))} "
                   f"--socket {shlex.quote(self.socket)} \"$@\"; }}\n"
                   f"kda-target() {{ {shlex.quote(os.path.join(self.bin_dir, 'kda-target'))} \"$@\"; }}\n")
        return ["bash", "-c", prelude + command]

    def wait_for_confirmation_requests(self):
        """A target that shows its SAS code waits for the desk; wait until kdad says so too."""
        deadline = time.time() + 5
        while time.time() < deadline:
            r = self.kdactl("--json", "sessions")
            if r.returncode == 0 and '"waiting_for_confirmation":true' in r.stdout:
                return
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory with kdad, kdactl and kda-target")
    ap.add_argument("--guide", required=True, help="docs/ADMIN.md")
    ap.add_argument("--source", required=True, help="the source tree (for examples/)")
    args = ap.parse_args()

    with open(args.guide, encoding="utf-8") as f:
        transcripts, files = parse_guide(f.read())
    files = {**FIXTURES, **files}
    user = pwd.getpwuid(os.getuid()).pw_name

    failures, checked, excluded, skipped = [], 0, [], 0
    with tempfile.TemporaryDirectory(prefix="kda-admin-guide.") as work:
        os.symlink(os.path.join(os.path.abspath(args.source), "examples"), os.path.join(work, "examples"))
        for name, text in files.items():
            with open(os.path.join(work, name), "w", encoding="utf-8") as f:
                f.write(text)
        desk = Desk(os.path.abspath(args.bin), work)
        os.makedirs(desk.state_dir, mode=0o700)
        mapping, last_rc = {}, 0
        started = time.time()
        try:
            desk.start()
            for t in transcripts:
                for line_no, cmd, expected in t.commands:
                    where = f"{os.path.basename(args.guide)}:{line_no} (section {t.section})"
                    program = cmd.split()[0]
                    if cmd in EXCLUDED:
                        excluded.append((cmd, EXCLUDED[cmd]))
                        continue
                    if cmd.startswith("build/bin/kdad "):
                        # A restart on the same state directory, with the guide's flags.
                        desk.stop()
                        words = shlex.split(cmd.rstrip("& "))
                        extra = [w for k, w in enumerate(words[1:]) if words[k] == "--config"]
                        desk.start(["--config", os.path.join(work, extra[0])] if extra else [])
                        continue
                    if cmd.startswith("cat "):
                        # The guide shows a file's contents; it was written from this block.
                        files_shown = files.get(cmd.split()[1], "")
                        ok = files_shown.rstrip("\n").split("\n") == expected
                        if not ok:
                            failures.append((where, cmd, expected, files_shown.split("\n")))
                        checked += 1
                        continue
                    if cmd == "echo $?":
                        actual = [str(last_rc)]
                    elif program in SKIPPED_PROGRAMS:
                        skipped += 1
                        continue
                    else:
                        real = cmd.replace(GUIDE_STATE_DIR, desk.state_dir)
                        real = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:" + desk.port, real)
                        for guide_value, value in mapping.items():
                            real = re.sub(rf"\b{re.escape(guide_value)}\b", value, real)
                        if real.rstrip().endswith("&"):
                            actual = run_background(desk, real.rstrip()[:-1], len(expected))
                        else:
                            r = subprocess.run(desk.shell(real), cwd=work, stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, text=True, timeout=30)
                            last_rc = r.returncode
                            actual = r.stdout.rstrip("\n").split("\n") if r.stdout else []
                    actual = [a.replace(desk.state_dir, GUIDE_STATE_DIR).replace(desk.socket,
                              GUIDE_STATE_DIR + "/kdad.sock") for a in actual]
                    actual = [re.sub(rf"\bby {re.escape(user)}\b", "by root", a) for a in actual]
                    learn(expected, actual, mapping)
                    checked += 1
                    if not matches([normalize(e) for e in expected], [normalize(a) for a in actual]):
                        failures.append((where, cmd, expected, actual))
        finally:
            desk.stop()

    for cmd, reason in excluded:
        print(f"excluded: $ {cmd}\n          ({reason})")
    for where, cmd, expected, actual in failures:
        print(f"\n{where}: $ {cmd}")
        sys.stdout.writelines(difflib.unified_diff([e + "\n" for e in expected], [a + "\n" for a in actual],
                                                   "the guide", "now"))
    print(f"\n{checked} commands checked, {len(failures)} differ from the guide, {len(excluded)} excluded, "
          f"{skipped} skipped (not kda's programs) ({time.time() - started:.1f} s)")
    return 1 if failures else 0


def run_background(desk, command, lines):
    """Starts `command &` and returns the first lines it prints (as many as the guide shows)."""
    p = subprocess.Popen(desk.shell(command), cwd=desk.work, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    desk.background.append((p, command))
    out = []
    deadline = time.time() + 10
    while len(out) < lines and time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        out.append(line.rstrip("\n"))
    desk.wait_for_confirmation_requests()
    return out


if __name__ == "__main__":
    sys.exit(main())
