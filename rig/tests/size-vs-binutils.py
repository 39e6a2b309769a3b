#!/usr/bin/env python3
"""Compares `rig size --json` on each ELF given with what binutils say about
it; prints TAP, three checks per file. Used by t0600-size-binutils.sh.

usage: size-vs-binutils.py RIG ELF...
"""
import collections
import json
import re
import subprocess
import sys

# readelf's name for e_machine -> the binutils that know the target best.
PREFIXES = {
    "ARM": "arm-none-eabi-",
    "RISC-V": "riscv64-unknown-elf-",
}


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p.stdout


def prefix_for(path):
    machine = re.search(r"^\s*Machine:\s*(.*)$", run(["readelf", "-h", path]), re.M).group(1)
    return PREFIXES.get(machine.strip(), "")


def allocated_sections(path):
    """name -> (type, flags) for every section, from readelf -SW."""
    out = {}
    for line in run(["readelf", "-SW", path]).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+"
                     r"\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+", line)
        if m and m.group(1) != "0":
            out.setdefault(m.group(2), []).append((m.group(3), m.group(4)))
    return out


def size_A(prefix, path):
    rows, started = [], False
    for line in run([prefix + "size", "-A", "-d", path]).splitlines():
        if line.startswith("section"):
            started = True
            continue
        if not started or not line.strip():
            continue
        if line.startswith("Total"):
            break
        name, size, _addr = line.split()
        rows.append((name, int(size)))
    return rows


def berkeley(prefix, path):
    lines = run([prefix + "size", "-B", "-d", path]).splitlines()
    text, data, bss = lines[1].split()[:3]
    return int(text), int(data), int(bss)


def symtab(path):
    """(name, size, ndx) of FUNC/OBJECT/TLS/IFUNC symbols of .symtab, via readelf."""
    out, inside = [], False
    for line in run(["readelf", "-sW", path]).splitlines():
        if line.startswith("Symbol table"):
            inside = "'.symtab'" in line
            continue
        m = re.match(r"\s*\d+:\s+[0-9a-f]+\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s+(\S+)\s*(.*)$", line)
        if not inside or not m:
            continue
        size = int(m.group(1), 0)
        if m.group(2) in ("FUNC", "OBJECT", "TLS", "IFUNC") and size > 0:
            out.append((m.group(4), size, m.group(3)))
    return out


def nm_sizes(prefix, path):
    out = collections.Counter()
    for line in run([prefix + "nm", "-S", "--defined-only", path]).splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[(parts[3], int(parts[1], 16))] += 1
    return out


def section_names_by_index(path):
    out = {}
    for line in run(["readelf", "-SW", path]).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def main():
    rig, files = sys.argv[1], sys.argv[2:]
    print("1..%d" % (3 * len(files)))
    n, failed = 0, False

    def report(ok, what, details=()):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        for d in details:
            print("# " + str(d))
        failed = failed or not ok

    for path in files:
        try:
            p = subprocess.run([rig, "size", "--json", "--symbols", "all", path],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError("rig size exited %d: %s" % (p.returncode, p.stderr.strip()))
            got = json.loads(p.stdout)
            prefix = prefix_for(path)
            flags = allocated_sections(path)
        except Exception as e:  # one broken file must not hide the others
            for what in ("sections", "totals", "symbols"):
                report(False, "%s: %s" % (path, what), [e])
            continue

        # Sections: size -A lists every section; rig keeps the allocated, non-empty ones.
        want = [(name, size) for name, size in size_A(prefix, path)
                if size > 0 and any("A" in f for _t, f in flags.get(name, []))]
        have = [(s["name"], s["size"]) for s in got["sections"]]
        report(want == have, "%s: sections agree with %ssize -A" % (path, prefix),
               ["size -A: %s" % want, "rig:     %s" % have] if want != have else [])

        text, data, bss = berkeley(prefix, path)
        t = got["totals"]
        ok = ((t["text"], t["data"], t["bss"]) == (text, data, bss)
              and t["flash"] == text + data and t["ram"] == data + bss)
        report(ok, "%s: flash %d, ram %d agree with %ssize (text %d data %d bss %d)"
               % (path, t["flash"], t["ram"], prefix, text, data, bss),
               [] if ok else ["rig totals: %s" % t])

        # Symbols: rig's list is readelf's functions and objects in the sections
        # rig kept, and each has the size nm -S gives it.
        kept = {s["name"] for s in got["sections"]}
        names = section_names_by_index(path)
        want = collections.Counter((name, size) for name, size, ndx in symtab(path)
                                   if names.get(ndx) in kept)
        have = collections.Counter((s["name"], s["size"]) for s in got["symbols"])
        nm = nm_sizes(prefix, path)
        missing_in_nm = have - nm
        ok = want == have and not missing_in_nm
        details = []
        if want != have:
            details += ["only readelf: %s" % sorted((want - have).elements()),
                        "only rig:     %s" % sorted((have - want).elements())]
        if missing_in_nm:
            details.append("not in nm -S: %s" % sorted(missing_in_nm.elements()))
        report(ok, "%s: %d symbols agree with %snm -S" % (path, sum(have.values()), prefix),
               details)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
