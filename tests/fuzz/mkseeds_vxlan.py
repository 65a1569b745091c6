#!/usr/bin/env python3
"""Writes tests/fuzz/seeds/fuzz_vxlan: programs in fuzz_vxlan.c's input
format (a mode byte, then steps).  Run from the repository root."""
import os
import struct

D = "tests/fuzz/seeds/fuzz_vxlan"


def inner(kind=0, pay=20, extra=b""):
    """build_inner's bytes: kind, payload/5, the kind's own bytes, no cut."""
    if (kind & 7) % 6 in (2, 5):
        body = b"\x0a" + extra              # VLAN id 10
    else:
        body = extra
    if (kind & 7) % 6 in (1, 5):
        body += b"\x00\x00\x18"             # traffic class, flow label, TCP flags
    elif (kind & 7) % 6 == 0 or (kind & 7) % 6 == 2:
        body += b"\x00\x02"                 # tos, dst 10.0.0.2
    return bytes([kind, pay]) + body + b"\x00"


def std(p1=0x20, p2=0, p3=0, p4=0, pre=b"", inn=None, frag=b"", mid=b"", tail=b""):
    """build_vxlan's bytes: p1 (vlan 1, options 2, frag 8, bad ip 16, udp
    csum 32, bad udp 64, trailing 128), p2 (port 0-3, vni 0-7 << 2,
    addresses << 5), p3 (flags 1, reserved 2, options random 0x40, DF
    0x80), p4 (tot 1, ulen 2, cut 4); pre (the option words), the inner
    frame, tos 0, frag (its offset), ttl 64, mid (addresses, options, length
    deltas), the source port's low byte, tail (flags, reserved, trailing
    count, cut)."""
    return bytes([1, p1, p2, p3, p4]) + pre + (inn or inner()) + b"\x00" + frag + \
        b"\x40" + mid + b"\x07" + tail


seeds = {
    "decap_4789": b"\x00" + std(),
    "decap_4789_nocsum": b"\x00" + std(p1=0),
    "decap_8472": b"\x00" + std(p2=1),
    "decap_vni42_4790": b"\x00" + std(p2=2 | 4 << 2),
    "decap_reencap_vni101": b"\x00" + std(p2=1 << 2),
    "decap_own_port_vni102": b"\x00" + std(p2=2 << 2),
    "decap_ipv6_vni103": b"\x00" + std(p2=3 << 2, inn=inner(1)),
    "decap_qinq_ipv6": b"\x00" + std(inn=inner(5)),
    "decap_vlan_inner": b"\x00" + std(inn=inner(2)),
    "decap_options": b"\x00" + std(p1=0x22, pre=b"\x03"),
    "decap_trailing": b"\x00" + std(p1=0xa0, tail=b"\x11"),
    "decap_df": b"\x00" + std(p3=0x80),
    "bad_ip_csum": b"\x00" + std(p1=0x30),
    "bad_udp_csum": b"\x00" + std(p1=0x60),
    "bad_flags": b"\x00" + std(p3=1, tail=b"\x0c"),
    "bad_reserved": b"\x00" + std(p3=2, tail=b"\x00\x00\x01\x00"),
    "bad_vni_on_vni_port": b"\x00" + std(p2=2),
    "fragment": b"\x00" + std(p1=0x28, frag=b"\x00\x10"),
    "outer_vlan": b"\x00" + std(p1=0x21),
    "bad_lengths": b"\x00" + std(p4=3, mid=b"\xf0\x04"),
    "truncated": b"\x00" + std(p4=4, tail=b"\x00\x50"),
    "inner_runt": b"\x00" + std(inn=bytes([4, 0, 10])),
    "encap_from_sf": b"\x01" + b"".join(
        bytes([3]) + inner(k | m << 4) for k in (0, 1, 2, 3, 5) for m in (0, 1, 2, 3)),
    "encap_runts": b"\x01" + bytes([3, 4, 0, 15]) + b"\x08\x00\x45" +
    bytes([3, 4, 0, 14]) + b"\x08\x00",
    "burst_mixed": b"\x02" + std() + std(p2=1) + std(p1=0x30) + std(p2=1 << 2) +
    std(p2=2 | 4 << 2) + bytes([3]) + inner(),
    "burst_from_sf": b"\x03" + b"".join(bytes([3]) + inner(k) for k in range(6)) * 4,
}

# A raw VXLAN frame (step 0): VNI 100 from 192.168.1.2 to .1, port 4789.
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


inn = bytes([2, 0, 0, 0, 0, 0x58, 2, 0, 0, 0, 0, 1, 8, 0]) + bytes(46)
udp_len = 16 + len(inn)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0,
                 bytes([192, 168, 1, 2]), bytes([192, 168, 1, 1]))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
vx = b"\x08\0\0\0" + struct.pack("!I", 100 << 8)
frame = bytes([0x52, 0x54, 0, 0, 0, 1, 0x52, 0x54, 0, 0, 0, 2, 8, 0]) + ip + \
    struct.pack("!HHHH", 50000, 4789, udp_len, 0) + vx + inn
seeds["raw_vxlan"] = b"\x00\x00" + struct.pack("!H", len(frame)) + frame

os.makedirs(D, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)
print(len(seeds), "seeds in", D)
