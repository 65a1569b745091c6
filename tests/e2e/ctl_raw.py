#!/usr/bin/env python3
"""ctl_raw.py - a raw client of sfnicctl.sock (src/ctl/ctl_proto.h) for the
e2e tests: requests the tool never sends.

  ctl_raw.py abuse SOCK     malformed and oversized requests; each must get
                            the errno fwctl would give, and the connection
                            must keep working (or close where the framing is
                            lost); exits 1 on the first surprise
  ctl_raw.py hold SOCK      registers a 1 MiB umem, prints "held N", sleeps
  ctl_raw.py partial SOCK   sends half a header; exits 0 once the daemon
                            closes the connection (its deadline), 1 after 10 s
"""
import errno
import os
import socket
import struct
import sys
import time

HDR = struct.Struct("=IHHII")        # size, type, version, seq, err
INFO, RPC, UMEM_REG, UMEM_UNREG = 1, 2, 3, 4
VERSION = 1
seq = 0


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def send(s, typ, body=b"", fds=(), version=VERSION, size=None, err=0):
    global seq
    seq += 1
    h = HDR.pack(size if size is not None else HDR.size + len(body), typ, version, seq, err)
    if fds:
        s.sendmsg([h + body], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("=%di" % len(fds), *fds))])
    else:
        s.sendall(h + body)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def reply(s):
    h = recv_exact(s, HDR.size)
    if h is None:
        return None
    size, typ, ver, sq, err = HDR.unpack(h)
    body = recv_exact(s, size - HDR.size) if size > HDR.size else b""
    return err, body


def rpc(scope, inb, out_len, rsvd=0, in_len=None):
    return struct.pack("=IIII", scope, len(inb) if in_len is None else in_len, out_len, rsvd) + inb


def nop():
    return struct.pack("=HHHH", 0x0801, 0, 0, 0)


def memfd(length, seal=True):
    fd = os.memfd_create("t", os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, length)
    if seal:
        import fcntl
        fcntl.fcntl(fd, 1033, 0x0002)     # F_ADD_SEALS, F_SEAL_SHRINK
    return fd


def expect(s, want, what):
    r = reply(s)
    if r is None:
        print("FAIL %s: the daemon closed the connection" % what)
        sys.exit(1)
    if r[0] != want:
        print("FAIL %s: errno %d (%s), expected %d (%s): %s" % (what, r[0], os.strerror(r[0]), want,
                                                               os.strerror(want), r[1]))
        sys.exit(1)
    print("ok %s: %s" % (what, os.strerror(want) if want else "delivered"))
    return r


def abuse(path):
    s = connect(path)
    send(s, RPC, rpc(0, nop(), 8))
    expect(s, 0, "NOP")
    send(s, RPC, rpc(0, nop(), (2 << 20) + 1))
    expect(s, errno.EMSGSIZE, "out_len above 2 MiB")
    send(s, RPC, rpc(0, nop() + bytes((2 << 20) + 8), 8))
    expect(s, errno.EMSGSIZE, "in above 2 MiB")
    send(s, RPC, rpc(0, b"\x01\x08", 8))
    expect(s, errno.EINVAL, "in below the command header")
    send(s, RPC, rpc(0, nop(), 4))
    expect(s, errno.EINVAL, "out below the command header")
    send(s, RPC, rpc(0, nop(), 8, in_len=100))
    expect(s, errno.EINVAL, "in_len larger than the message")
    send(s, RPC, rpc(0, nop(), 8, rsvd=1))
    expect(s, errno.EINVAL, "reserved not zero")
    send(s, RPC, b"\x00" * 7)
    expect(s, errno.EINVAL, "RPC shorter than its header")
    send(s, RPC, rpc(4, nop(), 8))
    expect(s, errno.EOPNOTSUPP, "scope 4")
    send(s, RPC, rpc(0xffffffff, nop(), 8))
    expect(s, errno.EOPNOTSUPP, "scope 0xffffffff")
    send(s, RPC, rpc(0, struct.pack("=HHHH", 0x7777, 0, 0, 0), 8))
    expect(s, errno.EPERM, "unknown opcode")
    send(s, RPC, rpc(3, struct.pack("=HHHH", 0x0a04, 0, 0, 0) + bytes(16), 16))
    expect(s, errno.EPERM, "CREATE_UCTX (driver only) at full scope")
    send(s, INFO, version=2)
    expect(s, errno.EPROTO, "version 2")
    send(s, 99)
    expect(s, errno.EINVAL, "unknown type")
    send(s, INFO, err=5)
    expect(s, errno.EINVAL, "err set in a request")
    send(s, INFO, b"x")
    expect(s, errno.EINVAL, "INFO with a body")
    fd = memfd(4096)
    send(s, INFO, fds=[fd])
    expect(s, errno.EINVAL, "INFO with a descriptor")
    send(s, UMEM_REG, struct.pack("=Q", 4096), fds=[memfd(4096, seal=False)])
    expect(s, errno.EINVAL, "umem without F_SEAL_SHRINK")
    send(s, UMEM_REG, struct.pack("=Q", 8192), fds=[memfd(4096)])
    expect(s, errno.EINVAL, "umem longer than its memfd")
    send(s, UMEM_REG, struct.pack("=Q", 0), fds=[fd])
    expect(s, errno.EINVAL, "umem of 0 bytes")
    send(s, UMEM_REG, struct.pack("=Q", 100), fds=[fd])
    expect(s, errno.EINVAL, "umem not a page multiple")
    send(s, UMEM_REG, struct.pack("=Q", 128 << 20), fds=[memfd(128 << 20)])
    expect(s, errno.EMSGSIZE, "umem of 128 MiB")
    r, w = os.pipe()
    send(s, UMEM_REG, struct.pack("=Q", 4096), fds=[r])
    expect(s, errno.EINVAL, "umem of a pipe")
    send(s, UMEM_REG, struct.pack("=Q", 4096))
    expect(s, errno.EINVAL, "umem without a descriptor")
    send(s, UMEM_REG, struct.pack("=Q", 4096), fds=[fd, memfd(4096)])
    expect(s, errno.EINVAL, "umem with two descriptors")
    send(s, UMEM_REG, struct.pack("=Q", 4096), fds=[fd])
    err, body = expect(s, 0, "umem of 4 KiB")
    umem = struct.unpack("=IIQ", body)[0]
    # The client's own mapping stays valid; shrinking is refused by the seal.
    try:
        os.ftruncate(fd, 0)
        print("FAIL the sealed memfd could be shrunk")
        sys.exit(1)
    except PermissionError:
        print("ok a sealed memfd cannot be shrunk under the daemon")
    send(s, UMEM_UNREG, struct.pack("=II", umem + 1000, 0))
    expect(s, errno.ENOENT, "unregister another's umem id")
    send(s, UMEM_UNREG, struct.pack("=II", umem, 0))
    expect(s, 0, "unregister")
    send(s, UMEM_UNREG, struct.pack("=II", umem, 0))
    expect(s, errno.ENOENT, "unregister twice")
    for i in range(17):
        send(s, UMEM_REG, struct.pack("=Q", 4096), fds=[fd])
        expect(s, errno.ENOSPC if i == 16 else 0, "umem %d of 16" % (i + 1))
    # Pipelined requests: all answered, in order.
    s.sendall(b"".join(HDR.pack(HDR.size, INFO, VERSION, 1000 + i, 0) for i in range(20)))
    for i in range(20):
        expect(s, 0, "pipelined INFO %d" % i)
    send(s, INFO)
    expect(s, 0, "INFO after all that")
    s.close()
    # Framing lost: an error reply and a close.
    s = connect(path)
    send(s, INFO, size=(16 << 20) + 1)
    expect(s, errno.EMSGSIZE, "a message of 16 MiB + 1")
    if reply(s) is not None:
        print("FAIL the connection stayed open")
        sys.exit(1)
    s = connect(path)
    send(s, INFO, size=3)
    r = reply(s)
    if r is not None and r[0] != errno.EMSGSIZE:
        print("FAIL size 3: %s" % (r,))
        sys.exit(1)
    print("ok a message of 3 bytes: closed")
    # Garbage.
    s = connect(path)
    s.sendall(os.urandom(4096))
    s.close()
    print("done")


def hold(path):
    s = connect(path)
    send(s, UMEM_REG, struct.pack("=Q", 1 << 20), fds=[memfd(1 << 20)])
    r = reply(s)
    if not r or r[0]:
        print("umem registration failed: %s" % (r,))
        sys.exit(1)
    print("held %d" % struct.unpack("=IIQ", r[1])[0], flush=True)
    time.sleep(3600)


def partial(path):
    s = connect(path)
    s.sendall(HDR.pack(HDR.size, INFO, VERSION, 1, 0)[:7])
    s.settimeout(10)
    try:
        if s.recv(1) == b"":
            print("closed")
            return 0
    except socket.timeout:
        pass
    print("still open after 10 s")
    return 1


if __name__ == "__main__":
    cmd, path = sys.argv[1], sys.argv[2]
    sys.exit({"abuse": abuse, "hold": hold, "partial": partial}[cmd](path) or 0)
