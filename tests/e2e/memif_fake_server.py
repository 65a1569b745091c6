#!/usr/bin/env python3
"""memif_fake_server.py SOCK SCRIPT - a memif 2.0 server that misbehaves on
purpose, for the e2e tests of sfnic's memif uplink (a client).

It answers the handshake as DPDK's server does, maps the client's regions,
waits until the client has posted S2C buffers, then plays SCRIPT:
  frames   publishes, in one tail update, a 100-byte frame, a descriptor
           longer than posted (malformed), and a two-descriptor chain
  badtail  moves the S2C tail past the client's head
It prints one line per step to stdout and stays until the client closes.
"""
import mmap
import os
import socket
import struct
import sys
import time

MSG = 128
ACK, HELLO, INIT, ADD_REGION, ADD_RING, CONNECT, CONNECTED, DISCONNECT = 1, 2, 3, 4, 5, 6, 7, 8


def send(c, typ, payload=b''):
    c.send(struct.pack('<H', typ) + payload + bytes(MSG - 2 - len(payload)))


def recv(c):
    msg, fds, _, _ = socket.recv_fds(c, MSG, 4)
    if not msg:
        sys.exit('client closed during the handshake')
    return struct.unpack_from('<H', msg)[0], msg[2:], fds


def main():
    path, script = sys.argv[1], sys.argv[2].split(',')
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(1)
    print('listening', flush=True)
    c, _ = srv.accept()
    send(c, HELLO, struct.pack('<32sHHHHHB', b'fake', 0x200, 0x200, 255, 255, 255, 14))
    regions, rings = {}, {}
    while True:
        typ, p, fds = recv(c)
        if typ == INIT:
            send(c, ACK)
        elif typ == ADD_REGION:
            idx, size = struct.unpack_from('<HQ', p)
            regions[idx] = mmap.mmap(fds[0], size)
            send(c, ACK)
        elif typ == ADD_RING:
            flags, idx, reg, off, log2, _ = struct.unpack_from('<HHHIBH', p)
            rings['c2s' if flags & 1 else 's2c'] = (reg, off, log2, fds[0])
            send(c, ACK)
        elif typ == CONNECT:
            send(c, CONNECTED, b'fake0')
            break
        else:
            sys.exit('unexpected message %d' % typ)
    reg, off, log2, efd = rings['s2c']
    r = regions[reg]
    mask = (1 << log2) - 1
    print('connected', flush=True)

    def head():
        return struct.unpack_from('<H', r, off + 6)[0]

    def desc(slot):
        return off + 128 + 16 * (slot & mask)

    def publish(tail):
        # As a server does: the tail, then the eventfd unless MASK_INT.
        struct.pack_into('<H', r, off + 64, tail & 0xffff)
        if not struct.unpack_from('<H', r, off + 4)[0] & 1:
            os.write(efd, struct.pack('<Q', 1))

    def set_desc(slot, flags, length):
        d = desc(slot)
        struct.pack_into('<H', r, d, flags)
        struct.pack_into('<I', r, d + 4, length)

    for _ in range(500):
        if head():
            break
        time.sleep(0.01)
    tail = 0
    for step in script:
        if step == 'frames':
            # The frame's bytes go where the client pointed the descriptor.
            dreg, doff = struct.unpack_from('<HxxxxI', r, desc(tail) + 2)
            frame = bytes.fromhex('02000000000a02000000000b88b5') + bytes(86)
            regions[dreg][doff:doff + len(frame)] = frame
            set_desc(tail, 0, len(frame))
            set_desc(tail + 1, 0, 5000)          # longer than posted
            set_desc(tail + 2, 1, 1000)          # a chain of two
            set_desc(tail + 3, 0, 500)
            tail += 4
            publish(tail)
        elif step == 'badtail':
            publish(head() + 10)
        print(step, flush=True)
        time.sleep(0.5)
    while c.recv(MSG):
        pass
    print('closed', flush=True)


main()
