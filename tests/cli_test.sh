#!/usr/bin/env bash
# CLI tests of `rdprobe` itself: exit codes, one-line errors on bad input,
# notes on damaged captures, usage, help, and the reports of the project's
# own fixtures (text ladder line, JSON facts, byte-stable JSON).
#
#   tests/cli_test.sh RDPROBE
#
# One line per check ("ok   NAME" or "FAIL NAME: why"), then "N passed,
# M failed"; exit 0 only when every check passed.  Needs bash and python3
# (to read the JSON); no network.  Bad files are written to a temporary
# directory, removed on exit.
set -u
rdprobe=${1:?usage: cli_test.sh RDPROBE}
case "$rdprobe" in /*) ;; *) rdprobe="$(cd "$(dirname "$rdprobe")" && pwd)/$(basename "$rdprobe")" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(dirname "$here")/fixtures
TLS=$fixtures/xrdp-tls-loopback.pcap
NEGFAIL=$fixtures/xrdp-negfail-loopback.pcap
REFUSED=$fixtures/tcp-refused-loopback.pcap
RDPSEC=$fixtures/xrdp-rdpsec-loopback.pcap

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# run ARGS...: runs rdprobe; $rc, $tmp/out, $tmp/err
run() {
	"$rdprobe" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# check NAME: records the outcome of the conditions gathered in $why
begin() { why=; }
expect() { # expect DESCRIPTION COMMAND...: adds DESCRIPTION to $why unless COMMAND succeeds
	local what=$1
	shift
	"$@" || why="${why:+$why; }$what"
}
check() {
	if [ -z "$why" ]; then
		echo "ok   $1"
		pass=$((pass + 1))
	else
		echo "FAIL $1: $why"
		fail=$((fail + 1))
	fi
}

is_rc() { [ "$rc" -eq "$1" ]; }
empty() { [ ! -s "$1" ]; }
# exactly one newline-terminated line
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && [ "$(awk 'END { print NR }' "$1")" -eq 1 ]; }
starts_with() { [ "$(head -c ${#2} "$1")" = "$2" ]; }
has() { grep -qF -- "$2" "$1"; }
has_line() { grep -qxF -- "$2" "$1"; }

# json FILE PATH: the value at a dotted path (object keys, array indexes) as JSON
json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split(".") if sys.argv[2] else []:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v, sort_keys=True))
EOF
}
json_is() { [ "$(json "$1" "$2" 2>/dev/null)" = "$3" ]; }
json_ok() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# A bad input file: exit 2, stdout empty, one stderr line "rdprobe: FILE: ..."
# (the reason pinned as libpcap 1.10 words it).
bad_input() { # bad_input NAME FILE REASON
	run analyze "$2"
	begin
	expect "exit $rc, not 2" is_rc 2
	expect "stdout not empty" empty "$tmp/out"
	expect "stderr not one line" one_line "$tmp/err"
	expect "stderr does not start with 'rdprobe: '" starts_with "$tmp/err" "rdprobe: "
	expect "stderr does not name the file" has "$tmp/err" "$2"
	expect "stderr is '$(head -n 1 "$tmp/err")'" has_line "$tmp/err" "rdprobe: $2: $3"
	check "$1"
}

usage_error() { # usage_error NAME ARGS...: exit 2, message on stderr, nothing on stdout
	local name=$1
	shift
	run "$@"
	begin
	expect "exit $rc, not 2" is_rc 2
	expect "stdout not empty" empty "$tmp/out"
	expect "stderr does not start with 'rdprobe: '" starts_with "$tmp/err" "rdprobe: "
	check "$name"
}

help_ok() { # help_ok NAME ARGS...
	local name=$1
	shift
	run "$@"
	begin
	expect "exit $rc, not 0" is_rc 0
	expect "stdout does not start with 'usage: rdprobe'" starts_with "$tmp/out" "usage: rdprobe"
	expect "stderr not empty" empty "$tmp/err"
	check "$name"
}

# ---- files that are not (readable) captures ---------------------------------

bad_input "missing file" "$tmp/missing.pcap" "No such file or directory"
mkdir "$tmp/dir.pcap"
bad_input "a directory" "$tmp/dir.pcap" "error reading dump file: Is a directory"
printf 'this is not a capture\nbut a text file\n' >"$tmp/text.pcap"
bad_input "a text file" "$tmp/text.pcap" "unknown file format"
: >"$tmp/empty.pcap"
bad_input "an empty file" "$tmp/empty.pcap" \
	"truncated dump file; tried to read 4 file header bytes, only got 0"
head -c 10 "$TLS" >"$tmp/header10.pcap"
bad_input "pcap global header cut to 10 bytes" "$tmp/header10.pcap" \
	"truncated dump file; tried to read 24 file header bytes, only got 6"
# pcap 2.4, little-endian, snaplen 65535, link type 147 (DLT_USER0)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$tmp/user0.pcap"
bad_input "pcap of link type 147" "$tmp/user0.pcap" "link type unknown (147) is not supported"
# pcapng: Section Header Block, Interface Description Block of link type 147
printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00' >"$tmp/user0.pcapng"
printf '\x01\x00\x00\x00\x14\x00\x00\x00\x93\x00\x00\x00\xff\xff\x00\x00\x14\x00\x00\x00' >>"$tmp/user0.pcapng"
bad_input "pcapng of link type 147" "$tmp/user0.pcapng" "link type unknown (147) is not supported"

# ---- captures that are damaged ---------------------------------------------

# The last record (66 bytes) loses its last 10: frames 1-66 are analysed.
size=$(wc -c <"$TLS")
head -c $((size - 10)) "$TLS" >"$tmp/cut.pcap"
run analyze "$tmp/cut.pcap"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
expect "no damage note" has_line "$tmp/out" \
	"  note: capture file damaged after frame 66: truncated dump file; tried to read 66 captured bytes, only got 56"
expect "file line" has_line "$tmp/out" "$tmp/cut.pcap: EN10MB"
expect "summary line" has_line "$tmp/out" "$tmp/cut.pcap: 66 frames, 2026-11-25T12:32:42.884475Z, 3.644 s, 1 RDP connection"
check "truncated in the last record: text note"
run analyze --json "$tmp/cut.pcap"
cp "$tmp/out" "$tmp/cut.json"
begin
expect "exit $rc, not 0" is_rc 0
expect "not JSON" json_ok "$tmp/cut.json"
expect "frames" json_is "$tmp/cut.json" captures.0.frames 66
expect "read_error" json_is "$tmp/cut.json" captures.0.read_error \
	'"capture file damaged after frame 66: truncated dump file; tried to read 66 captured bytes, only got 56"'
expect "one connection" python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))["captures"][0]["connections"]) != 1)' "$tmp/cut.json"
expect "X.224 request frame" json_is "$tmp/cut.json" captures.0.connections.0.x224.request.frame 4
expect "X.224 confirm frame" json_is "$tmp/cut.json" captures.0.connections.0.x224.confirm.frame 6
expect "certificate frame" json_is "$tmp/cut.json" captures.0.connections.0.tls.certificate_frame 9
expect "last frame" json_is "$tmp/cut.json" captures.0.connections.0.last_frame 66
check "truncated in the last record: JSON facts before the cut"

# A record header claiming 0x7fffffff bytes: libpcap refuses it; noted, exit 0.
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
	printf '\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x7f\xff\xff\xff\x7f'
	head -c 100 /dev/zero
} >"$tmp/giant.pcap"
run analyze "$tmp/giant.pcap"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
expect "no damage note" has_line "$tmp/out" \
	"  note: capture file damaged after frame 0: invalid packet capture length 2147483647, bigger than snaplen of 65535"
expect "file line" has_line "$tmp/out" "$tmp/giant.pcap: EN10MB"
expect "summary line" has_line "$tmp/out" "$tmp/giant.pcap: 0 frames, -, 0.000 s, 0 RDP connections"
check "record caplen 0x7fffffff: noted, nothing decoded"

# ---- usage -------------------------------------------------------------------

usage_error "no arguments"
usage_error "unknown command" frobnicate
usage_error "analyze without files" analyze
usage_error "--port 0" analyze --port 0 "$TLS"
usage_error "--port 70000" analyze --port 70000 "$TLS"
usage_error "--port x" analyze --port x "$TLS"
# getopt words this one itself, naming the subcommand ("analyze: ...").
run analyze --frobnicate "$TLS"
begin
expect "exit $rc, not 2" is_rc 2
expect "stdout not empty" empty "$tmp/out"
expect "no getopt message" has "$tmp/err" "unrecognized option '--frobnicate'"
expect "no hint" has_line "$tmp/err" "Try 'rdprobe --help'."
check "unknown option"
usage_error "diagnose without a host" diagnose
usage_error "diagnose with two hosts" diagnose a.test b.test
usage_error "probe --pcap (diagnose's option)" probe --pcap "$tmp/x.pcap" 127.0.0.1
usage_error "diagnose --password-file without --user" diagnose --password-file /dev/null 127.0.0.1
usage_error "diff with one report" diff "$TLS"
echo '{"schema_version": 1}' >"$tmp/other.json"
usage_error "diff: not a report of diagnose or probe" diff "$tmp/other.json" "$tmp/other.json"
usage_error "diff: not JSON" diff "$TLS" "$TLS"
if [ "$(id -u)" -eq 0 ]; then
	: >"$tmp/exists.pcap"
	run diagnose --pcap "$tmp/exists.pcap" --variants tcp --timeout 1 127.0.0.1
	begin
	expect "exit $rc, not 2" is_rc 2
	expect "stdout not empty" empty "$tmp/out"
	expect "no refusal" has "$tmp/err" "refusing to overwrite it"
	expect "the file was touched" empty "$tmp/exists.pcap"
	check "diagnose --pcap to an existing file: refused, left alone"
fi
help_ok "--help" --help
help_ok "analyze --help" analyze --help
help_ok "diff --help" diff --help
run --version
begin
expect "exit $rc, not 0" is_rc 0
expect "not 'rdprobe 0.1.0'" [ "$(cat "$tmp/out")" = "rdprobe 0.1.0" ]
expect "stderr not empty" empty "$tmp/err"
check "--version"

# ---- good runs ---------------------------------------------------------------

run analyze "$TLS"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
expect "no ladder line for frame 6" has_line "$tmp/out" \
	"          6 +0.007816  |<--- X.224 Connection Confirm, selected SSL (0x1) --------------|"
expect "no X.224 confirm line" has_line "$tmp/out" "  X.224 confirm (frame 6): selected SSL (0x1)"
check "analyze TLS fixture: text ladder"

run analyze --json "$TLS"
cp "$tmp/out" "$tmp/tls1.json"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
expect "not JSON" json_ok "$tmp/tls1.json"
expect "schema_version" json_is "$tmp/tls1.json" schema_version 1
expect "tool" json_is "$tmp/tls1.json" tool '"rdprobe 0.1.0"'
expect "selected_protocol" json_is "$tmp/tls1.json" captures.0.connections.0.x224.confirm.selected_protocol 1
expect "certificate CN" json_is "$tmp/tls1.json" captures.0.connections.0.tls.certificates.0.subject_cn '"rdprobe-lab.test"'
check "analyze --json TLS fixture: facts"

run analyze --json "$TLS"
begin
expect "exit $rc, not 0" is_rc 0
expect "output differs between runs" cmp -s "$tmp/out" "$tmp/tls1.json"
check "analyze --json: byte-identical across runs"

run analyze --json "$NEGFAIL"
cp "$tmp/out" "$tmp/negfail.json"
begin
expect "exit $rc, not 0 or 1" [ "$rc" -eq 0 -o "$rc" -eq 1 ]
expect "stderr not empty" empty "$tmp/err"
expect "confirm type" json_is "$tmp/negfail.json" captures.0.connections.0.x224.confirm.type '"failure"'
expect "failure_code" json_is "$tmp/negfail.json" captures.0.connections.0.x224.confirm.failure_code 1
expect "stage" json_is "$tmp/negfail.json" captures.0.connections.0.stage '"x224-negotiation-failure"'
check "analyze --json negotiation failure fixture"

run analyze --json "$REFUSED"
cp "$tmp/out" "$tmp/refused.json"
begin
expect "exit $rc, not 0 or 1" [ "$rc" -eq 0 -o "$rc" -eq 1 ]
expect "connections" json_is "$tmp/refused.json" captures.0.connections '[]'
check "refused fixture without --port: port 33990 is not RDP"
run analyze --json --port 33990 "$REFUSED"
cp "$tmp/out" "$tmp/refused.json"
begin
expect "exit $rc, not 0 or 1" [ "$rc" -eq 0 -o "$rc" -eq 1 ]
expect "stage" json_is "$tmp/refused.json" captures.0.connections.0.stage '"tcp-reset"'
expect "RST frame" json_is "$tmp/refused.json" captures.0.connections.0.tcp.rst_after_syn_frame 2
check "refused fixture with --port 33990: connection refused"

run analyze --json "$TLS" "$RDPSEC"
cp "$tmp/out" "$tmp/two.json"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
expect "not JSON" json_ok "$tmp/two.json"
expect "captures" python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))["captures"]) != 2)' "$tmp/two.json"
expect "first file" json_is "$tmp/two.json" captures.0.file "\"$TLS\""
expect "second file" json_is "$tmp/two.json" captures.1.file "\"$RDPSEC\""
expect "standard RDP security" json_is "$tmp/two.json" captures.1.connections.0.x224.confirm.type '"none"'
expect "MCS Connect Response" json_is "$tmp/two.json" captures.1.connections.0.mcs.connect_response.frame 9
check "two files: two captures in one JSON document"
run analyze --json "$TLS" "$RDPSEC"
begin
expect "output differs between runs" cmp -s "$tmp/out" "$tmp/two.json"
check "two files: byte-identical across runs"

run analyze "$TLS" "$tmp/missing.pcap"
begin
expect "exit $rc, not 2" is_rc 2
expect "good file not reported" has_line "$tmp/out" "$TLS: 67 frames, 2026-11-25T12:32:42.884475Z, 3.686 s, 1 RDP connection"
expect "its ladder" has_line "$tmp/out" \
	"          6 +0.007816  |<--- X.224 Connection Confirm, selected SSL (0x1) --------------|"
expect "stderr not one line" one_line "$tmp/err"
expect "stderr line" has_line "$tmp/err" "rdprobe: $tmp/missing.pcap: No such file or directory"
check "good file + missing file: exit 2, good one reported"

run analyze --json "$tmp/missing.pcap" "$TLS"
cp "$tmp/out" "$tmp/partial.json"
begin
expect "exit $rc, not 2" is_rc 2
expect "not JSON" json_ok "$tmp/partial.json"
expect "captures" python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))["captures"]) != 1)' "$tmp/partial.json"
expect "the good one" json_is "$tmp/partial.json" captures.0.file "\"$TLS\""
expect "stderr not one line" one_line "$tmp/err"
check "missing file + good file, --json: exit 2, one capture"

# Diagnosis: exit codes, --expect, --at.
LAB=$here/../fixtures/lab
run analyze "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 1" is_rc 1
expect "first line" has_line "$tmp/out" "VERDICT 10.231.2.2:3389: TLS_CERT_EXPIRED"
expect "first line is not the verdict" starts_with "$tmp/out" "VERDICT 10.231.2.2:3389: TLS_CERT_EXPIRED"
check "a failure is diagnosed: exit 1, the verdict first"

run analyze --expect TLS_CERT_EXPIRED "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 0" is_rc 0
expect "stderr not empty" empty "$tmp/err"
check "--expect met: exit 0"

run analyze --expect HEALTHY --expect TLS_CERT_EXPIRED "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 1" is_rc 1
expect "stderr line" has_line "$tmp/err" "rdprobe: expected HEALTHY: not found"
expect "stderr not one line" one_line "$tmp/err"
check "--expect not met: exit 1, what is missing on stderr"

run analyze --expect NO_SUCH_CODE "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 2" is_rc 2
expect "stdout not empty" empty "$tmp/out"
check "--expect with an unknown code: usage error"

# Judged at a time inside its validity the certificate is fine, and what is
# left is the client hanging up after the handshake (its own clock said
# expired).
run analyze --at "2024-06-01 00:00:00" --expect CLIENT_ABORTED "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 0" is_rc 0
expect "verdict" has_line "$tmp/out" "VERDICT 10.231.2.2:3389: CLIENT_ABORTED"
check "--at inside the certificate's validity: no TLS_CERT_EXPIRED"

run analyze --at yesterday "$LAB/cert-expired.pcap"
begin
expect "exit $rc, not 2" is_rc 2
check "--at with a bad time: usage error"

run analyze --json "$LAB/dns-stale.pcap"
begin
expect "exit $rc, not 1" is_rc 1
expect "verdict" json_is "$tmp/out" captures.0.verdicts.0.code '"RESOLUTION_MISMATCH"'
expect "its frames" json_is "$tmp/out" captures.0.verdicts.0.frames '[4, 11, 23]'
expect "findings" json_is "$tmp/out" captures.0.connections.0.findings.0.code '"TCP_REFUSED"'
check "--json: verdicts and findings with frames"

# The reproduction: text and JSON name the lab scenario.
run analyze "$LAB/server-denied.pcap"
begin
expect "exit $rc, not 1" is_rc 1
expect "reproduce line" has_line "$tmp/out" "      reproduce: rdprobe lab run server-denied"
check "text: the failure's reproduce line"
run analyze --json "$LAB/healthy-rdp.pcap"
begin
expect "exit $rc, not 0" is_rc 0
expect "HEALTHY has none" json_is "$tmp/out" captures.0.verdicts.0.reproduce null
expect "the downgrade warning has one" json_is "$tmp/out" captures.0.verdicts.0.also.0.reproduce \
	'"rdprobe lab run healthy-rdp"'
check "--json: reproduce, null for HEALTHY"

# rdprobe lab: usage errors are one line and a hint, before any lab work.
for args in "lab" "lab frob" "lab start extra" "lab run" "lab run ../etc" "lab exec healthy-tls" \
	"lab diagnose -x" "lab run no-such-scenario"; do
	# shellcheck disable=SC2086
	run $args
	begin
	expect "exit $rc, not 2" is_rc 2
	expect "stdout not empty" empty "$tmp/out"
	expect "not 'rdprobe: lab: ...' and a hint: $(head -c 200 "$tmp/err")" \
		starts_with "$tmp/err" "rdprobe: lab: "
	expect "not two lines" [ "$(wc -l <"$tmp/err")" -eq 2 ]
	check "usage: rdprobe $args -> 2"
done
RDPROBE_LAB_DIR=$tmp/nolab run lab list
begin
expect "exit $rc, not 2" is_rc 2
expect "one line" one_line "$tmp/err"
expect "names the directory" has "$tmp/err" "$tmp/nolab/lab.sh"
check "lab: no lab.sh -> 2, one line"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$rdprobe" lab run server-denied \
		"$tmp/nobody.pcap" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	begin
	expect "exit $rc, not 2" is_rc 2
	expect "one line" one_line "$tmp/err"
	expect "says root: $(cat "$tmp/err")" has "$tmp/err" "run needs root"
	expect "a capture was written" [ ! -e "$tmp/nobody.pcap" ]
	check "lab run as nobody: needs root -> 2, nothing written"
fi
run lab list
begin
expect "exit $rc, not 0" is_rc 0
want=$(cd "$LAB/scenarios" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | sort | tr '\n' ' ')
got=$(awk '{ print $1 }' "$tmp/out" | sort | tr '\n' ' ')
expect "scenarios '$got', want '$want'" [ "$got" = "$want" ]
check "lab list: every scenario of fixtures/lab/scenarios"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
