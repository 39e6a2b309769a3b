#!/usr/bin/env bash
# rig size --base on fixture pairs: a 3 KiB const table added (flash grows by
# about 3 KiB and the table is the first symbol listed, marked new), the same
# image twice (no change at all), clones renumbered by a rebuild (folded: no
# change), and the JSON keys DESIGN.md promises. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fx=${RIG_ELF_FIXTURES:-}
if [ -z "$fx" ] || [ ! -d "$fx" ]; then
	fx=$work/fixtures
	"$here/elf/build-fixtures.sh" "$here/elf" "$fx" >/dev/null 2>&1 || { echo "1..0 # SKIP no fixtures"; exit 0; }
fi

n=0
failed=0
echo "1..15"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do printf '# %s\n' "$l"; done; }

# size OUT ARGS...: runs rig size into $work/OUT, stderr into $work/OUT.err; returns its exit code.
size() { local out=$1; shift; "$rig" size "$@" >"$work/$out" 2>"$work/$out.err"; }

# check DESCRIPTION FILE PYTHON: the python (with `d` the JSON of FILE) must not raise.
check() {
	local what=$1 file=$2 code=$3 msg
	if msg=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
$code
" "$work/$file" 2>&1); then ok "$what"; else not_ok "$what" "$msg" "$(head -c 2000 "$work/$file")"; fi
}

for arch in cm3 rv32; do
	if size "$arch-grow.json" "$fx/$arch-table.elf" --base "$fx/$arch.elf" --json; then
		check "$arch: a 3 KiB table grows flash by about 3 KiB, RAM not at all" "$arch-grow.json" '
assert 3072 <= d["delta"]["flash"] <= 3072 + 64, d["delta"]
assert d["delta"]["ram"] == 0, d["delta"]
assert d["totals"]["flash"] - d["base_totals"]["flash"] == d["delta"]["flash"]
ro = [s for s in d["sections"] if s["name"] == ".rodata"][0]
assert ro["delta"] == 3072 and ro["size"] - ro["base"] == 3072, ro'
		check "$arch: the new table is the first symbol, marked new" "$arch-grow.json" '
s = d["symbols"][0]
assert (s["name"], s["change"], s["delta"], s["base"], s["size"], s["section"]) == \
    ("big_table", "new", 3072, 0, 3072, ".rodata"), s
assert all(abs(x["delta"]) <= 3072 for x in d["symbols"])'
	else
		not_ok "$arch: rig size --base exits 0" "$(cat "$work/$arch-grow.json.err")"
		not_ok "$arch: (skipped)"
	fi
done

size shrink.json "$fx/cm3.elf" --base "$fx/cm3-table.elf" --json
check "the other way round the table is removed" shrink.json '
s = d["symbols"][0]
assert (s["name"], s["change"], s["delta"], s["size"]) == ("big_table", "removed", -3072, 0), s
assert d["delta"]["flash"] < -3000'

cp "$fx/cm3.elf" "$work/copy.elf"
size same.json "$fx/cm3.elf" --base "$work/copy.elf" --json
check "an unchanged image shows zero delta" same.json '
assert d["delta"] == {"flash": 0, "ram": 0, "text": 0, "data": 0, "bss": 0}, d["delta"]
assert d["symbols"] == [], d["symbols"]
assert d["sections"] and all(s["delta"] == 0 and s["base"] == s["size"] for s in d["sections"])'

renamed=$(arm-none-eabi-nm "$fx/cm3-renum.elf" | awk '{ print $3 }' | grep -cE '\.(constprop\.7|isra\.0\.constprop\.3)$')
size renum.json "$fx/cm3-renum.elf" --base "$fx/cm3.elf" --json
if [ "$renamed" -ge 2 ]; then
	check "renumbered clones ($renamed) fold: no symbol removed or added" renum.json '
assert d["symbols"] == [], d["symbols"]
assert d["delta"]["flash"] == 0'
else
	not_ok "renumbered clones fold" "the fixture has no renumbered clones"
fi

size plain.json "$fx/cm3.elf" --json
check "JSON without --base has the contract's keys" plain.json '
assert {"file", "totals", "sections", "symbols"} <= set(d), d.keys()
assert d["file"].endswith("cm3.elf")
assert {"flash", "ram"} <= set(d["totals"])
for s in d["sections"]:
    assert {"name", "region", "size"} <= set(s) and s["region"] in ("flash", "ram"), s
    assert "base" not in s and "delta" not in s
for s in d["symbols"]:
    assert {"name", "section", "size"} <= set(s) and "change" not in s, s
assert "delta" not in d'
check ".data is in RAM and counted in flash too (flash = text + data, ram = data + bss)" plain.json '
by = lambda c: sum(s["size"] for s in d["sections"] if s["class"] == c)
t = d["totals"]
assert (t["text"], t["data"], t["bss"]) == (by("text"), by("data"), by("bss")), t
assert t["flash"] == t["text"] + t["data"] and t["ram"] == t["data"] + t["bss"], t
data = [s for s in d["sections"] if s["name"] == ".data"][0]
assert data["region"] == "ram" and data["class"] == "data" and data["size"] > 0, data
assert [s["region"] for s in d["sections"] if s["name"] in (".heap", ".stack")] == ["ram", "ram"]'
check "symbols are listed largest first, 20 by default" plain.json '
sizes = [s["size"] for s in d["symbols"]]
assert sizes == sorted(sizes, reverse=True) and 0 < len(sizes) <= 20, sizes'
check "JSON with --base has the contract's keys" cm3-grow.json '
assert {"file", "totals", "sections", "symbols", "delta"} <= set(d)
assert {"flash", "ram"} <= set(d["delta"])
for s in d["sections"]:
    assert {"name", "region", "size", "base", "delta"} <= set(s), s
for s in d["symbols"]:
    assert {"name", "section", "size", "base", "delta", "change"} <= set(s), s
    assert s["change"] in ("grew", "shrank", "new", "removed"), s
    assert s["delta"] == s["size"] - s["base"] != 0, s'

size one.json "$fx/cm3-table.elf" --base "$fx/cm3.elf" --json --symbols 1
size none.json "$fx/cm3.elf" --json --symbols 0
size all.json "$fx/cm3.elf" --json --symbols all
check "--symbols N limits the list" one.json 'assert [s["name"] for s in d["symbols"]] == ["big_table"]'
check "--symbols 0 lists none, --symbols all every one" all.json '
assert json.load(open(sys.argv[1].replace("all.json", "none.json")))["symbols"] == []
assert len(d["symbols"]) >= 10, len(d["symbols"])'

# The table for people.
if size human.txt "$fx/cm3-table.elf" --base "$fx/cm3.elf" &&
   grep -qE '^flash +[0-9]+ +[0-9]+ +\+30[0-9][0-9]' "$work/human.txt" &&
   grep -A2 '^symbols that changed' "$work/human.txt" | tail -1 | grep -qE '^ +\+3072 +0 +3072 +new +\.rodata +big_table$'; then
	ok "the delta table shows flash and the new table first"
else
	not_ok "the delta table shows flash and the new table first" "$(cat "$work/human.txt" "$work/human.txt.err")"
fi
if size stripped.txt "$fx/cm3-stripped.elf" && grep -q 'no symbol table' "$work/stripped.txt" &&
   size stripped.json "$fx/cm3-stripped.elf" --json; then
	check "a stripped image: sections, totals, no symbols" stripped.json '
full = json.load(open(sys.argv[1].replace("stripped.json", "plain.json")))
assert d["symbols"] == [] and d["totals"] == full["totals"], d'
else
	not_ok "a stripped image: sections, totals, no symbols" "$(cat "$work/stripped.txt"*)"
fi
exit $failed
