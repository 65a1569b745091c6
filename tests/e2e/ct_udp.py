#!/usr/bin/env python3
"""ct_udp.py - UDP ends for test_ct.sh.

  ct_udp.py server ADDR PORT SECONDS COUNTFILE   echo datagrams for SECONDS,
                                                 write how many came to COUNTFILE
  ct_udp.py client ADDR PORT                     send one datagram on a connected
                                                 socket and wait 2 s: exit 0 on the
                                                 echo, 1 on silence, 2 when the
                                                 kernel reports ECONNREFUSED (an
                                                 ICMP port unreachable came back)
"""
import socket
import sys
import time

mode = sys.argv[1]
addr, port = sys.argv[2], int(sys.argv[3])
if mode == 'server':
    until = time.time() + float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    n = 0
    while time.time() < until:
        s.settimeout(max(0.05, until - time.time()))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        n += 1
        s.sendto(data, peer)
    with open(sys.argv[5], 'w') as f:
        f.write('%d\n' % n)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, port))
    s.send(b'sfnic ct')
    try:
        sys.exit(0 if s.recv(2048) == b'sfnic ct' else 1)
    except ConnectionRefusedError:
        sys.exit(2)
    except socket.timeout:
        sys.exit(1)
