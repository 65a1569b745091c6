#!/usr/bin/env python3
"""actpkt.py - frames with real checksums for the action tests, and checks.

  actpkt.py gen OUT.pcap SPEC...   SPEC: KIND[,key=value...]
      KIND: udp4 tcp4 icmp4 udp6 tcp6 icmp6; keys: dst, src (MACs),
      sip, dip, sport, dport, ttl, tos, len (frame bytes), vlan
  actpkt.py hex FILE.pcap          one line of hex per frame
  actpkt.py csum FILE.pcap         per frame: "ip=ok|bad l4=ok|bad|none"

Every checksum is computed here from the bytes (RFC 1071), independent
of sfnic's code, so a frame that left sfnic is checked by another hand.
"""
import ipaddress
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def frame(spec):
    parts = spec.split(',')
    kind = parts[0]
    o = dict(p.split('=', 1) for p in parts[1:])
    dst = bytes.fromhex(o.get('dst', '02:00:00:00:00:0a').replace(':', ''))
    src = bytes.fromhex(o.get('src', '02:00:00:00:00:0b').replace(':', ''))
    v6 = kind.endswith('6')
    proto = {'udp': 17, 'tcp': 6, 'icmp': 58 if v6 else 1}[kind[:-1]]
    sip = ipaddress.ip_address(o.get('sip', '2001:db8::1' if v6 else '10.0.0.1')).packed
    dip = ipaddress.ip_address(o.get('dip', '2001:db8::2' if v6 else '10.0.0.2')).packed
    ttl, tos = int(o.get('ttl', 64)), int(o.get('tos', 0))
    l2 = dst + src
    if 'vlan' in o:
        l2 += struct.pack('!HH', 0x8100, int(o['vlan']))
    l2 += struct.pack('!H', 0x86dd if v6 else 0x0800)
    l3len = 40 if v6 else 20
    hdr = {17: 8, 6: 20, 1: 8, 58: 8}[proto]
    total = int(o.get('len', 64))
    plen = max(0, total - len(l2) - l3len - hdr)
    payload = bytes((i * 7 + 3) & 0xff for i in range(plen))
    sport, dport = int(o.get('sport', 1000)), int(o.get('dport', 53))
    l4len = hdr + plen
    if proto == 17:
        l4 = struct.pack('!HHHH', sport, dport, l4len, 0) + payload
    elif proto == 6:
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x18, 8192, 0, 0) + payload
    else:
        l4 = struct.pack('!BBHHH', 128 if v6 else 8, 0, 0, 1, 1) + payload
    if v6:
        pseudo = sip + dip + struct.pack('!IxxxB', l4len, proto)
    else:
        pseudo = sip + dip + struct.pack('!xBH', proto, l4len)
    at = {17: 6, 6: 16, 1: 2, 58: 2}[proto]
    c = csum((b'' if proto == 1 else pseudo) + l4)
    if proto == 17 and c == 0:
        c = 0xffff
    l4 = l4[:at] + struct.pack('!H', c) + l4[at + 2:]
    if v6:
        ip = struct.pack('!IHBB', 6 << 28 | tos << 20, l4len, proto, ttl) + sip + dip
    else:
        ip = struct.pack('!BBHHHBBH', 0x45, tos, 20 + l4len, 1, 0, ttl, proto, 0) + sip + dip
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return l2 + ip + l4


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        n = struct.unpack('<IIII', data[off:off + 16])[2]
        yield data[off + 16:off + 16 + n]
        off += 16 + n


def check(f):
    off = 12
    et = struct.unpack('!H', f[off:off + 2])[0]
    while et in (0x8100, 0x88a8):
        off += 4
        et = struct.unpack('!H', f[off:off + 2])[0]
    l3 = off + 2
    if et == 0x0800:
        ihl = (f[l3] & 15) * 4
        tot = struct.unpack('!H', f[l3 + 2:l3 + 4])[0]
        ipok = 'ok' if csum(f[l3:l3 + ihl]) == 0 else 'bad'
        proto, l4 = f[l3 + 9], f[l3 + ihl:l3 + tot]
        pseudo = f[l3 + 12:l3 + 20] + struct.pack('!xBH', proto, len(l4))
    elif et == 0x86dd:
        ipok = 'none'
        plen = struct.unpack('!H', f[l3 + 4:l3 + 6])[0]
        proto, l4 = f[l3 + 6], f[l3 + 40:l3 + 40 + plen]
        pseudo = f[l3 + 8:l3 + 40] + struct.pack('!IxxxB', len(l4), proto)
    else:
        return 'ip=none l4=none'
    if proto == 1:
        l4ok = csum(l4) == 0
    elif proto in (6, 17, 58):
        l4ok = csum(pseudo + l4) == 0
    else:
        return 'ip=%s l4=none' % ipok
    return 'ip=%s l4=%s' % (ipok, 'ok' if l4ok else 'bad')


def main():
    cmd = sys.argv[1]
    if cmd == 'gen':
        with open(sys.argv[2], 'wb') as out:
            out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i, s in enumerate(sys.argv[3:]):
                f = frame(s)
                out.write(struct.pack('<IIII', 1700000000, i, len(f), len(f)) + f)
    elif cmd == 'hex':
        for f in frames(sys.argv[2]):
            print(f.hex())
    elif cmd == 'csum':
        for f in frames(sys.argv[2]):
            print(check(f))
    else:
        sys.exit('actpkt.py: unknown command ' + cmd)


main()
