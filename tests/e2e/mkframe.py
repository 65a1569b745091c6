#!/usr/bin/env python3
"""mkframe.py KIND [KEY=VALUE...] - prints one Ethernet frame as hex, for
mkpcap.py's hex: specs (the flower match tests).

KIND v4, v6 or arp.  Common keys: dst, src (MACs), vlan=ID (802.1Q),
qinq=OUTER:INNER (802.1ad outer tag, 802.1Q inner tag).
v4/v6: proto=tcp|udp|icmp|icmpv6|N, sport, dport, flags (TCP flags, hex),
type, code (ICMP), tos (v4 TOS / v6 traffic class), ttl (TTL / hop limit),
saddr, daddr, frag=OFFSET (in 8-byte units) with mf=1 for more fragments;
v6 only: ext=hbh,rt,dest,... (extension headers before the L4 header; a
fragment header comes from frag/mf).
arp: op, sha, sip, tha, tip.
Frames are padded to 60 bytes so the tests can predict them exactly.
"""
import ipaddress
import struct
import sys

PROTOS = {'tcp': 6, 'udp': 17, 'icmp': 1, 'icmpv6': 58}


def mac(s):
    return bytes.fromhex(s.replace(':', ''))


def l4(o, proto):
    if proto == 6:
        return struct.pack('!HHIIBBHHH', int(o.get('sport', 1000)), int(o.get('dport', 80)),
                           0, 0, 0x50 | (int(o.get('flags', '2'), 16) >> 8),
                           int(o.get('flags', '2'), 16) & 0xff, 1024, 0, 0)
    if proto == 17:
        return struct.pack('!HHHH', int(o.get('sport', 1000)), int(o.get('dport', 53)), 8, 0)
    if proto in (1, 58):
        return struct.pack('!BBHI', int(o.get('type', 8)), int(o.get('code', 0)), 0, 0)
    return bytes(8)


def main():
    kind = sys.argv[1]
    o = dict(a.split('=', 1) for a in sys.argv[2:])
    head = mac(o.get('dst', '02:00:00:00:00:0a')) + mac(o.get('src', '02:00:00:00:00:0b'))
    if 'vlan' in o:
        head += b'\x81\x00' + struct.pack('!H', int(o['vlan']))
    if 'qinq' in o:
        outer, inner = (int(x) for x in o['qinq'].split(':'))
        head += b'\x88\xa8' + struct.pack('!H', outer) + b'\x81\x00' + struct.pack('!H', inner)
    proto = PROTOS.get(o.get('proto', 'udp'), None)
    if proto is None:
        proto = int(o['proto'])
    frag = int(o.get('frag', -1))
    mf = int(o.get('mf', 0))
    if kind == 'v4':
        body = l4(o, proto) if frag <= 0 else bytes(8)
        fo = (mf << 13) | max(frag, 0)
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, int(o.get('tos', '0'), 0), 20 + len(body), 1, fo,
                         int(o.get('ttl', 64)), proto, 0,
                         ipaddress.IPv4Address(o.get('saddr', '10.0.0.1')).packed,
                         ipaddress.IPv4Address(o.get('daddr', '10.0.0.2')).packed)
        f = head + b'\x08\x00' + ip + body
    elif kind == 'v6':
        exts = [e for e in o.get('ext', '').split(',') if e]
        if frag >= 0:
            exts.append('frag')
        chain = [{'hbh': 0, 'rt': 43, 'dest': 60, 'frag': 44}[e] for e in exts] + [proto]
        payload = l4(o, proto) if frag <= 0 else bytes(8)
        for i in reversed(range(len(exts))):
            nh = chain[i + 1]
            if exts[i] == 'frag':
                payload = struct.pack('!BBHI', nh, 0, (max(frag, 0) << 3) | mf, 7) + payload
            else:
                payload = bytes([nh, 0]) + bytes(6) + payload
        tc = int(o.get('tos', '0'), 0)
        ip = struct.pack('!IHBB16s16s', 0x60000000 | tc << 20, len(payload), chain[0],
                         int(o.get('ttl', 64)),
                         ipaddress.IPv6Address(o.get('saddr', '2001:db8::1')).packed,
                         ipaddress.IPv6Address(o.get('daddr', '2001:db8::2')).packed)
        f = head + b'\x86\xdd' + ip + payload
    elif kind == 'arp':
        f = head + b'\x08\x06' + struct.pack(
            '!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, int(o.get('op', 1)),
            mac(o.get('sha', '02:00:00:00:00:0b')),
            ipaddress.IPv4Address(o.get('sip', '10.0.0.1')).packed,
            mac(o.get('tha', '00:00:00:00:00:00')),
            ipaddress.IPv4Address(o.get('tip', '10.0.0.2')).packed)
    else:
        sys.exit('mkframe.py: KIND is v4, v6 or arp')
    f += bytes(max(0, 60 - len(f)))
    print(f.hex())


main()
