#!/usr/bin/env python3
"""mkpcap.py OUT.pcap SPEC... - writes an Ethernet pcap for the e2e tests.

SPEC is DST_MAC,SRC_MAC[,vlan=ID][,tcp=DPORT|udp=DPORT|arp][,len=N] ; frames
are 64 bytes (or N) of IPv4 (or ARP) padded with zeros, so the tests can
predict them.
SPEC hex:BYTES is that frame as it is (mkframe.py prints such frames).
"""
import struct
import sys


def frame(spec):
    if spec.startswith('hex:'):
        return bytes.fromhex(spec[4:])
    parts = spec.split(',')
    dst = bytes.fromhex(parts[0].replace(':', ''))
    src = bytes.fromhex(parts[1].replace(':', ''))
    opts = dict(p.split('=') if '=' in p else (p, '') for p in parts[2:])
    tag = b''
    if 'vlan' in opts:
        tag = b'\x81\x00' + struct.pack('!H', int(opts['vlan']))
    if 'arp' in opts:
        body = b'\x08\x06' + b'\x00\x01\x08\x00\x06\x04\x00\x01' + src + bytes(4) + bytes(6) + bytes(4)
    else:
        proto, port = (6, opts['tcp']) if 'tcp' in opts else (17, opts.get('udp', '9'))
        ip = bytes([0x45, 0, 0, 46, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
        l4 = struct.pack('!HH', 1000, int(port)) + bytes(22)
        body = b'\x08\x00' + ip + l4
    f = dst + src + tag + body
    return f + bytes(max(0, int(opts.get('len', 64)) - len(f)))


with open(sys.argv[1], 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, s in enumerate(sys.argv[2:]):
        f = frame(s)
        out.write(struct.pack('<IIII', 1700000000, i, len(f), len(f)) + f)
