"""Runs the kernel's test suites in QEMU without the rig; see kernel-qemu-test.sh.

For every board and every case of every suite: compose the case's flash
image from kernel.bin and the case's apps exactly as kernel/doc/image.md
says, boot it with the board's qemu.command (console on a socket, as the rig
does it), read the console until the case is decided or its deadline passes,
and judge it by the rules of suites/README.md. Prints TAP, one test point per
board x case, after a few per-board checks of the build itself.

This is an independent implementation of the image layout and of the
verdict rules, on purpose: it checks the documents as much as the kernel.
"""

import argparse
import concurrent.futures
import datetime
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import yaml

TBF_MAGIC = 0x41474952
TBF_HEADER_LEN = 64
TBF_MIN_TOTAL = 1024
EM = {"arm": 40, "riscv32": 243}

BANNER = re.compile(r"^rig-kernel (\S+) board=(\S+) arch=(\S+)$")
PLAN = re.compile(r"^1\.\.(\d+)$")
RESULT = re.compile(r"^(not )?ok (\d+)\b(.*)$")
TAP_END = "# tap-end"
PANIC = re.compile(r"^kernel: panic: ")
PROCESS_END = re.compile(r"^kernel: process (\S+) (faulted|exited)\b")
# A driver's diagnostic that measures something (ipc/ping-pong-latency):
# shown for passing cases too, so that the numbers reach the log.
MEASURE = re.compile(r"^# .*\bticks\b")


class CaseError(Exception):
    """The target could not be run: an infrastructure error, not a failure."""


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


# --- images (kernel/doc/image.md) --------------------------------------------

def compose(kernel_bin, apps, kernel_origin, app_origin, app_length):
    """kernel.bin padded with 0xFF to the app region, each app at the next
    address aligned to its size, gaps 0xFF, nothing after the last app."""
    room = app_origin - kernel_origin
    if len(kernel_bin) > room:
        raise ValueError("kernel.bin (%d bytes) runs into the app region" % len(kernel_bin))
    image = bytearray(kernel_bin) + b"\xff" * (room - len(kernel_bin))
    addr = app_origin
    for name, data in apps:
        n = len(data)
        if n < TBF_MIN_TOTAL or n & (n - 1):
            raise ValueError("%s: size %d is not a power of two >= 1024" % (name, n))
        addr = (addr + n - 1) & ~(n - 1)
        if addr + n > app_origin + app_length:
            raise ValueError("%s does not fit in the app region" % name)
        image += b"\xff" * (addr - kernel_origin - len(image))
        image += data
        addr += n
    return bytes(image)


def elf_wrap(image, origin, arch):
    """The image as an ELF file: one PT_LOAD segment at origin, no sections."""
    header = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header += struct.pack("<HHIIIIIHHHHHH", 2, EM[arch], 1, origin, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    program = struct.pack("<IIIIIIII", 1, 84, origin, origin, len(image), len(image), 5, 4)
    return header + program + image


def check_app_image(data):
    """What is wrong with an app image by doc/image.md, or None."""
    if len(data) < TBF_HEADER_LEN:
        return "shorter than a header"
    (magic, version, header_len, total, entry, min_ram, init_brk, stack, flags) = \
        struct.unpack_from("<IHHIIIIII", data, 0)
    name = data[32:56]
    reserved, crc = struct.unpack_from("<II", data, 56)
    if magic != TBF_MAGIC:
        return "bad magic"
    if version != 1 or header_len != TBF_HEADER_LEN or flags or reserved:
        return "bad header"
    if total != len(data):
        return "total length %d is not the file size %d" % (total, len(data))
    if total < TBF_MIN_TOTAL or total & (total - 1):
        return "total length not a power of two >= 1024"
    if not (TBF_HEADER_LEN <= entry < total) or not (0 < stack <= init_brk <= min_ram):
        return "bad header"
    if b"\0" not in name or not re.fullmatch(rb"[A-Za-z0-9_-]+\0*", name):
        return "bad name"
    if zlib.crc32(data[:60] + bytes(4) + data[64:]) != crc:
        return "bad crc"
    return None


# --- one boot ----------------------------------------------------------------

class Console:
    """Lines from QEMU's console socket, with the time each arrived."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.closed = False

    def lines(self, deadline):
        while True:
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                yield line.decode("utf-8", "replace").rstrip("\r"), time.monotonic()
                continue
            if self.closed:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                if self.buf:
                    self.buf += b"\n"
            self.buf += chunk


class Verdict:
    def __init__(self):
        self.status = "pass"
        self.reasons = []
        self.log = []
        self.boot_s = None        # QEMU start to banner
        self.cpu_boot_s = None    # CPU start (console connected) to banner
        self.duration_s = 0.0

    def fail(self, reason):
        if self.status == "pass":
            self.status = "fail"
        self.reasons.append(reason)


def judge(case, driver, board_name, console, started, connected, boot_timeout, timeout):
    """Reads the console and applies the rules of suites/README.md."""
    v = Verdict()
    deadline = connected + timeout
    expects = [(e, re.compile(e)) for e in case.get("expect", [])]
    matched = set()
    banner = plan = None
    results = []
    ended = False
    stop = None

    for line, at in console.lines(deadline):
        v.log.append(line)
        for text, rx in expects:
            if text not in matched and rx.search(line):
                matched.add(text)
        if banner is None:
            m = BANNER.match(line)
            if m:
                banner = m
                v.boot_s = at - started
                v.cpu_boot_s = at - connected
                if m.group(2) != board_name:
                    v.fail("banner names board %s" % m.group(2))
            continue
        if PANIC.match(line):
            stop = "kernel panic: %s" % line
            # The registers follow: keep them for the log.
            for more, _ in console.lines(min(deadline, time.monotonic() + 0.5)):
                v.log.append(more)
            break
        if ended:
            if len(matched) == len(expects):
                break
            continue
        m = PROCESS_END.match(line)
        if m and m.group(1) == driver:
            stop = "driver %s %s before # tap-end: %s" % (driver, m.group(2), line)
            break
        m = PLAN.match(line)
        if m:
            if plan is not None:
                v.fail("a second plan: %s" % line)
            plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            results.append((m.group(1) is None, int(m.group(2)), m.group(3), line))
            continue
        if line == TAP_END:
            ended = True
            if len(matched) == len(expects):
                break

    v.duration_s = time.monotonic() - connected
    if banner is None:
        v.fail("no banner within %gs" % min(timeout, boot_timeout))
        return v
    if v.cpu_boot_s > boot_timeout:
        v.fail("banner after %.2fs, over the boot timeout of %gs" % (v.cpu_boot_s, boot_timeout))
    if stop:
        v.fail(stop)
    if plan is None:
        v.fail("no plan")
    elif plan != case["plan"]:
        v.fail("plan 1..%d, the suite says %d" % (plan, case["plan"]))
    for i, (ok, num, rest, line) in enumerate(results, 1):
        if num != i:
            v.fail("test point %d where %d was due" % (num, i))
        skipped = re.match(r"^[^#]*#\s*SKIP\b", rest, re.I) is not None
        if not ok and not skipped:
            v.fail(line)
    if plan is not None and len(results) != plan:
        v.fail("%d test points for a plan of %d" % (len(results), plan))
    for text, _ in expects:
        if text not in matched:
            v.fail("expected line never came: %s" % text)
    if not ended and not stop:
        v.fail("no '# tap-end' within %gs" % timeout)
    return v


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect_console(proc, port, started, stderr):
    """The console socket once QEMU listens; None if it could not bind the port."""
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            sock.settimeout(None)
            return sock
        except ConnectionRefusedError:
            if proc.poll() is not None:
                stderr.seek(0)
                text = stderr.read().strip()
                if "Address already in use" in text:
                    return None
                raise CaseError("QEMU exited %d before the console opened: %s"
                                % (proc.returncode, text[-300:]))
            if time.monotonic() - started > 10:
                raise CaseError("QEMU did not open its console within 10s")
            time.sleep(0.005)


def run_case(job):
    """Boots one case; returns (job, Verdict). Never raises for a failing kernel."""
    board, suite, case = job["board"], job["suite"], job["case"]
    tmp = tempfile.mkdtemp(prefix="rigk-")
    proc = None
    try:
        image = compose(board["kernel_bin"], [(a, board["apps"][a]) for a in case["apps"]],
                        board["kernel_origin"], board["app_origin"], board["app_length"])
        image_path = os.path.join(tmp, "image.bin")
        elf_path = os.path.join(tmp, "image.elf")
        with open(image_path, "wb") as f:
            f.write(image)
        with open(elf_path, "wb") as f:
            f.write(elf_wrap(image, board["kernel_origin"], board["arch"]))
        argv = [a.replace("{image}", image_path).replace("{image_elf}", elf_path)
                 .replace("{kernel}", board["kernel_elf"]) for a in board["qemu"]]
        # The console as boards/README.md says the rig attaches it: TCP on loopback.
        for attempt in range(3):
            port = free_port()
            qemu_argv = argv + ["-chardev", "socket,id=rigcon,host=127.0.0.1,port=%d,server=on,wait=on"
                                % port, "-serial", "chardev:rigcon"]
            started = time.monotonic()
            stderr = open(os.path.join(tmp, "qemu.stderr"), "w+")
            try:
                proc = subprocess.Popen(qemu_argv, stdin=subprocess.DEVNULL, stdout=stderr,
                                        stderr=stderr, start_new_session=True)
            except OSError as e:
                raise CaseError("cannot start %s: %s" % (argv[0], e))
            sock = connect_console(proc, port, started, stderr)
            if sock is not None:
                break
            proc.wait()
            proc = None   # the port was taken between our probe and QEMU's bind: again
        else:
            raise CaseError("QEMU could not listen on a free port three times")
        connected = time.monotonic()
        timeout = float(case.get("timeout", suite.get("timeout", 20)))
        v = judge(case, case["apps"][0], board["name"], Console(sock), started, connected,
                  float(board.get("boot_timeout", 10)), timeout)
        sock.close()
        return job, v
    except CaseError as e:
        v = Verdict()
        v.status = "error"
        v.reasons.append(str(e))
        return job, v
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


# --- the run -----------------------------------------------------------------

def load_board(root, out, name):
    spec = load_yaml(os.path.join(root, "boards", name + ".yaml"))
    build = os.path.join(out, name)
    mem = spec["memory"]
    board = {
        "name": name,
        "spec": spec,
        "build": build,
        "arch": spec["arch"],
        "qemu": spec["qemu"]["command"],
        "boot_timeout": spec.get("boot_timeout", 10),
        "kernel_elf": os.path.join(build, "kernel.elf"),
        "kernel_origin": mem["kernel_flash"]["origin"],
        "app_origin": mem["app_flash"]["origin"],
        "app_length": mem["app_flash"]["length"],
        "apps": {},
        "corrupt": {},
    }
    with open(os.path.join(build, "kernel.bin"), "rb") as f:
        board["kernel_bin"] = f.read()
    with open(os.path.join(build, "apps", "manifest.txt")) as f:
        for line in f:
            app, how = line.split()
            board["corrupt"][app] = None if how == "-" else how
            with open(os.path.join(build, "apps", app + ".tbf"), "rb") as g:
                board["apps"][app] = g.read()
    return board


def board_checks(board):
    """Checks of the build itself: (ok, description, diagnostics)."""
    checks = []
    layout = {}
    with open(os.path.join(board["build"], "layout.txt")) as f:
        for line in f:
            key, *vals = line.split()
            layout[key] = vals
    mem = board["spec"]["memory"]
    wrong = [region for region in ("kernel_flash", "app_flash", "kernel_ram", "app_ram")
             if [int(x, 0) for x in layout[region]] !=
             [mem[region]["origin"], mem[region]["length"]]]
    checks.append((not wrong and layout["arch"] == [board["arch"]],
                   "%s: kernel memory map and arch match boards/%s.yaml" % (board["name"], board["name"]),
                   ["differs: %s" % ", ".join(wrong)] if wrong else []))

    bad = []
    for app, data in sorted(board["apps"].items()):
        problem = check_app_image(data)
        want = board["corrupt"][app]
        if want is None and problem is not None:
            bad.append("%s: %s" % (app, problem))
        elif want == "magic" and problem != "bad magic":
            bad.append("%s: meant to have a bad magic, checks as %s" % (app, problem))
        elif want == "crc" and problem != "bad crc":
            bad.append("%s: meant to have a bad CRC, checks as %s" % (app, problem))
        elif want == "overlap" and (problem is None or "total length" not in problem):
            bad.append("%s: meant to claim more than its size, checks as %s" % (app, problem))
    checks.append((not bad, "%s: %d app images are as doc/image.md says" % (board["name"], len(board["apps"])),
                   bad))

    defaults = layout.get("default_apps", [])
    with open(os.path.join(board["build"], "image.bin"), "rb") as f:
        built = f.read()
    ours = compose(board["kernel_bin"], [(a, board["apps"][a]) for a in defaults],
                   board["kernel_origin"], board["app_origin"], board["app_length"])
    checks.append((built == ours, "%s: image.bin is kernel.bin + %s composed per doc/image.md"
                   % (board["name"], " ".join(defaults)), []))
    with open(os.path.join(board["build"], "image.elf"), "rb") as f:
        elf = f.read()
    checks.append((elf == elf_wrap(ours, board["kernel_origin"], board["arch"]),
                   "%s: image.elf wraps the same bytes as image.bin" % board["name"], []))
    return checks


def abi_doc_check(root):
    """Every constant of include/rig/abi.h is in doc/abi.md's tables, with its value."""
    with open(os.path.join(root, "kernel", "include", "rig", "abi.h")) as f:
        header = dict(re.findall(r"^#define\s+([A-Z][A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)\b", f.read(), re.M))
    with open(os.path.join(root, "kernel", "doc", "abi.md")) as f:
        rows = re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|\s*(0x[0-9a-fA-F]+|\d+)\s*\|", f.read(), re.M)
    documented = {}
    for name, value in rows:
        documented.setdefault(name, set()).add(int(value, 0))
    problems = []
    for name, value in sorted(header.items()):
        if name not in documented:
            problems.append("%s (%s) is not in doc/abi.md" % (name, value))
        elif documented[name] != {int(value, 0)}:
            problems.append("%s is %s in abi.h, %s in doc/abi.md"
                            % (name, value, ", ".join(str(v) for v in sorted(documented[name]))))
    for name in sorted(set(documented) - set(header)):
        problems.append("doc/abi.md names %s, which abi.h does not define" % name)
    return (not problems, "kernel/doc/abi.md lists the %d constants of include/rig/abi.h with their values"
            % len(header), problems)


def quarantined(suite, case, board):
    today = datetime.date.today()
    for q in suite.get("quarantine", []) or []:
        if q.get("case") != case["name"]:
            continue
        if q.get("targets") and board not in q["targets"]:
            continue
        expires = q["expires"]
        if isinstance(expires, str):
            expires = datetime.date.fromisoformat(expires)
        if expires >= today:
            return q.get("reason", "quarantined")
    return None


def selected(case, board, only_cases):
    if only_cases and case["name"] not in only_cases:
        return False
    targets = case.get("targets") or {}
    if targets.get("only") and board not in targets["only"]:
        return False
    return board not in (targets.get("except") or [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--suite", action="append", default=[])
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--log", action="store_true", help="print every case's console")
    ap.add_argument("boards", nargs="+")
    args = ap.parse_args()

    t0 = time.monotonic()
    suites_dir = os.path.join(args.root, "suites")
    suite_names = args.suite or sorted(
        d for d in os.listdir(suites_dir) if os.path.isfile(os.path.join(suites_dir, d, "suite.yaml")))
    suites = []
    for name in suite_names:
        suite = load_yaml(os.path.join(suites_dir, name, "suite.yaml"))
        if suite.get("name") != name:
            sys.exit("suites/%s/suite.yaml: name is %r" % (name, suite.get("name")))
        suites.append(suite)

    boards = [load_board(args.root, args.out, b) for b in args.boards]
    checks = [abi_doc_check(args.root)] + [c for b in boards for c in board_checks(b)]
    jobs = [{"board": b, "suite": s, "case": c}
            for b in boards for s in suites for c in s["cases"] if selected(c, b["name"], args.case)]
    if not jobs:
        sys.exit("no cases selected")

    print("1..%d" % (len(checks) + len(jobs)), flush=True)
    n = 0
    failed = 0
    for ok, desc, diag in checks:
        n += 1
        print("%sok %d - %s" % ("" if ok else "not ", n, desc))
        for d in diag:
            print("#   %s" % d)
        failed += not ok

    boots = {b["name"]: [] for b in boards}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, j) for j in jobs]
        for fut in futures:
            job, v = fut.result()
            n += 1
            board, suite, case = job["board"]["name"], job["suite"], job["case"]
            what = "%s %s/%s" % (board, suite["name"], case["name"])
            if v.boot_s is not None:
                boots[board].append((v.boot_s, v.cpu_boot_s))
            q = quarantined(suite, case, board)
            if v.status == "pass":
                print("ok %d - %s (%.2fs)%s" % (n, what, v.duration_s,
                                                " # TODO quarantined, passed: %s" % q if q else ""))
            elif q:
                print("not ok %d - %s # TODO xfail, quarantined: %s" % (n, what, q))
            else:
                failed += 1
                print("not ok %d - %s # %s: %s" % (n, what, v.status, v.reasons[0]))
                for r in v.reasons[1:]:
                    print("#   also: %s" % r)
                for line in v.log[-25:]:
                    print("#   | %s" % line)
            if args.log and v.status == "pass":
                for line in v.log:
                    print("#   | %s" % line)
            elif v.status == "pass":
                for line in v.log:
                    if MEASURE.match(line):
                        print("#   %s: %s" % (board, line[2:]))
            sys.stdout.flush()

    for b in boards:
        t = boots[b["name"]]
        if t:
            print("# %s: boot to banner %.0f ms median, %.0f ms max from QEMU start; "
                  "%.1f ms median from CPU start (%d boots)"
                  % (b["name"], 1000 * statistics.median(x for x, _ in t),
                     1000 * max(x for x, _ in t), 1000 * statistics.median(y for _, y in t), len(t)))
    print("# %d of %d failed, %.1fs" % (failed, n, time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
