#!/usr/bin/env python3
"""mkmarker.py OUT.pcap DST_MAC SRC_MAC COUNT [LEN [DPORT [MARKER]]] - a pcap of
COUNT IPv4/UDP frames of LEN bytes (default 1000) to DPORT (default 4000)
whose whole payload is MARKER (default SFNICB!!) repeated: a pattern that
the isolation canary (zc_canary) must never find in another trust domain's
memory.
"""
import struct
import sys

out, dst, src, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
length = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
dport = int(sys.argv[6]) if len(sys.argv) > 6 else 4000
marker = (sys.argv[7] if len(sys.argv) > 7 else 'SFNICB!!').encode()

eth = bytes.fromhex(dst.replace(':', '')) + bytes.fromhex(src.replace(':', '')) + b'\x08\x00'
ip_len = length - len(eth)
ip = bytes([0x45, 0]) + struct.pack('!H', ip_len) + bytes([0, 0, 0, 0, 64, 17, 0, 0,
                                                           10, 0, 0, 1, 10, 0, 0, 2])
udp = struct.pack('!HHHH', 1000, dport, ip_len - 20, 0)
head = eth + ip + udp
payload = (marker * (length // len(marker) + 1))[:length - len(head)]
frame = head + payload

with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(count):
        f.write(struct.pack('<IIII', 1700000000, i, len(frame), len(frame)) + frame)
