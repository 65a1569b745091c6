#!/usr/bin/env python3
"""tcp_xfer.py - a byte-exact TCP transfer for the e2e tests.

  tcp_xfer.py recv ADDR PORT OUTFILE   accept one connection, write what
                                       arrives to OUTFILE (20 s at most)
  tcp_xfer.py send ADDR PORT INFILE    connect (retrying for 5 s), send
                                       INFILE, close

Compare the two files' sha256 afterwards.
"""
import socket
import sys
import time

mode, addr, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == 'recv':
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(20)
    c, _ = ls.accept()
    c.settimeout(20)
    with open(path, 'wb') as f:
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            f.write(b)
    c.close()
else:
    until = time.time() + 5
    while True:
        try:
            s = socket.create_connection((addr, port), timeout=20)
            break
        except OSError:
            if time.time() > until:
                raise
            time.sleep(0.1)
    with open(path, 'rb') as f:
        s.sendall(f.read())
    s.close()
