#!/usr/bin/env python3
"""lab_facts.py NAME [RDPROBE]: prints the expected facts of the lab capture
fixtures/lab/NAME.pcap (PATH<TAB>JSON lines, as tests/lab_test.sh reads
them) from rdprobe's current analysis.  Used to write
fixtures/lab/expected/NAME.facts for a new scenario: review the values
against the scenario's tshark checks before committing them.  Frame numbers
are kept only for the first connection: client retries move with timing."""
import json, os, sys, subprocess
name = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rdprobe = sys.argv[2] if len(sys.argv) > 2 else f"{root}/build/rdprobe"
out = subprocess.run([rdprobe, "analyze", "--json", f"{root}/fixtures/lab/{name}.pcap"], capture_output=True, text=True).stdout
d = json.loads(out)["captures"][0]
paths = ["verdicts/0/code", "verdicts/0/recovered", "connections/#len"]
def get(root, path):
    cur = root
    for t in path.split("/"):
        if isinstance(cur, list):
            if t == "#len": return len(cur)
            i = int(t)
            if i >= len(cur): return None
            cur = cur[i]
        elif isinstance(cur, dict):
            cur = cur.get(t)
        else:
            return None
    return cur
for i, c in enumerate(d["connections"][:3]):
    p = f"connections/{i}/"
    paths += [p + x for x in ["transport", "stage", "server/address", "server/port",
        "x224/request/frame", "x224/request/requested_protocols", "x224/confirm/frame", "x224/confirm/type",
        "x224/confirm/selected_protocol", "x224/confirm/failure_name",
        "tls/version", "tls/certificate_frame", "tls/certificates/0/subject_cn",
        "tls/certificates/0/not_before", "tls/certificates/0/not_after",
        "mcs/connect_response/encryption_method_name", "mcs/domain/client_info_frame",
        "tcp/rst_after_syn_frame", "tcp/synack_frame", "tcp/closed_by",
        "rdpeudp/syn/flag_names", "rdpeudp/syn/udp_length", "rdpeudp/synack/frame", "rdpeudp/established",
        "icmp/0/type", "icmp/0/code", "icmp/0/mtu", "findings/0/code"]]
print(f"# expected analysis of fixtures/lab/{name}.pcap (PATH<TAB>JSON); see tests/lab_test.sh")
for p in paths:
    # later connections (client retries) shift with timing: no frame numbers there
    if not p.startswith("connections/0/") and p.startswith("connections/") and "frame" in p.split("/")[-1]:
        continue
    v = get(d, p)
    if v is None and not p.startswith("verdicts"):
        continue
    print(f"{p}\t{json.dumps(v)}")
