#!/usr/bin/env python3
"""memif_hostile.py - a memif client that does the handshake right and then
writes garbage into its shared rings, for sfnic's robustness tests.

usage: memif_hostile.py SOCK SECONDS MODE
  MODE garbage   random descriptors (regions, offsets, lengths, flags, chains
                 that never end), heads that jump, S2C buffers outside the
                 region; never consumes what the server sends.  Checks that
                 the server sealed the region (shrinking it must fail).
  MODE hello     the handshake only, then a clean close.
  MODE shrink    an unsealable region (no MFD_ALLOW_SEALING) whose buffer
                 pages the client cuts off right after CONNECTED, then posts
                 frames and S2C buffers pointing into the lost pages.
Prints "connected" once the server said CONNECTED, then a summary line.
"""
import mmap
import os
import random
import socket
import struct
import sys
import time

MSG = 128
LOG2 = 10
RING = 1 << LOG2
RING_BYTES = 128 + 16 * RING
BUF = 2048
NBUF = 64


def msg(mtype, body=b''):
    return (struct.pack('<H', mtype) + body).ljust(MSG, b'\0')


def send(s, m, fd=None):
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('i', fd))] if fd is not None else []
    s.sendmsg([m], anc)


def expect(s, mtype):
    data = s.recv(MSG)
    t = struct.unpack_from('<H', data)[0] if data else -1
    if t != mtype:
        reason = data[6:102].split(b'\0')[0].decode(errors='replace') if t == 8 else ''
        sys.exit(f'expected message {mtype}, got {t} {reason}')
    return data


def main():
    path, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    rnd = random.Random(1234)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    expect(s, 2)                                            # HELLO
    send(s, msg(3, struct.pack('<HIB24s32s', 0x0200, 0, 0, b'', b'hostile')))
    expect(s, 1)
    size = 2 * RING_BYTES + NBUF * BUF
    flags = os.MFD_ALLOW_SEALING if mode == 'garbage' else 0
    fd = os.memfd_create('hostile', flags)
    os.ftruncate(fd, size)
    mem = mmap.mmap(fd, size)
    for r in range(2):
        struct.pack_into('<I', mem, r * RING_BYTES, 0x3E31F20)
    send(s, msg(4, struct.pack('<HQ', 0, size)), fd)        # ADD_REGION
    expect(s, 1)
    efds = []
    for r, c2s in ((0, 1), (1, 0)):
        efd = os.eventfd(0, os.EFD_NONBLOCK)
        efds.append(efd)
        send(s, msg(5, struct.pack('<HHHIBH', c2s, 0, 0, r * RING_BYTES, LOG2, 0)), efd)
        expect(s, 1)
    send(s, msg(6, b'hostile0'.ljust(32, b'\0')))
    expect(s, 7)                                            # CONNECTED
    print('connected', flush=True)
    if mode == 'hello':
        return
    c2s, s2c = 0, RING_BYTES
    bufs = 2 * RING_BYTES

    def desc(ring, slot, flags, region, length, offset):
        struct.pack_into('<HHIII', mem, ring + 128 + 16 * (slot % RING), flags, region,
                         length, offset, 0)

    def head(ring, value):
        struct.pack_into('<H', mem, ring + 6, value & 0xffff)

    def tail(ring):
        return struct.unpack_from('<H', mem, ring + 64)[0]

    if mode == 'garbage':
        try:
            os.ftruncate(fd, 4096)
            sys.exit('the server did not seal the region: it could be shrunk')
        except PermissionError:
            pass
    else:
        # The buffers go away under the server's mapping; the rings stay.
        os.ftruncate(fd, (2 * RING_BYTES + 4095) // 4096 * 4096)
    rounds = 0
    end = time.time() + seconds
    while time.time() < end:
        t = tail(c2s)
        n = rnd.randrange(1, 200)
        for i in range(n):
            kind = rnd.randrange(6)
            if kind == 0:       # a good frame
                desc(c2s, t + i, 0, 0, 60, bufs + (i % NBUF) * BUF)
            elif kind == 1:     # outside the region
                desc(c2s, t + i, 0, 0, 64, size - 10)
            elif kind == 2:     # a region that does not exist
                desc(c2s, t + i, 0, rnd.randrange(1, 65535), 64, 0)
            elif kind == 3:     # a chain
                desc(c2s, t + i, 1, 0, 100, bufs)
            elif kind == 4:     # huge length
                desc(c2s, t + i, 0, 0, rnd.randrange(1 << 32), bufs)
            else:               # raw bytes
                off = c2s + 128 + 16 * ((t + i) % RING)
                mem[off:off + 16] = rnd.randbytes(16)
        if mode == 'garbage' and rnd.randrange(8) == 0:
            head(c2s, rnd.randrange(65536))                 # a head that jumps
        else:
            head(c2s, t + n)
        # S2C: buffers posted outside the region, and never consumed.
        for i in range(RING):
            desc(s2c, i, 0, rnd.randrange(3), rnd.randrange(4096), rnd.randrange(1 << 32))
        head(s2c, tail(s2c) + RING)
        os.eventfd_write(efds[0], 1)
        rounds += 1
        time.sleep(0.002)
    print(f'{rounds} rounds of garbage', flush=True)
    s.close()


if __name__ == '__main__':
    main()
