# Hostile and careless clients: the daemon answers, survives, loses nothing.

test_malformed_and_oversized() {
	daemon_start || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 1 >/dev/null
	python3 - "$T/run/sfnicd.sock" <<-'PY' || fail "python client"
	import json, socket, sys
	def conn():
	    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s, s.makefile("rb")
	bystander, bf = conn()
	s, f = conn()
	def ask(sock, fh, raw):
	    sock.sendall(raw); return json.loads(fh.readline())
	for raw in [b"garbage\n", b"{\"cmd\":\n", b"[]\n", b"{\"cmd\":\"port.add\",\"pfnum\":{}}\n",
	            b"\xff\xfe\x00\n", b"{\"cmd\":\"dev.show\",\"handle\":[1]}\n"]:
	    r = ask(s, f, raw)
	    assert r["ok"] is False and r["errno"] > 0, (raw, r)
	r = ask(s, f, b"x" * 200000 + b"\n")
	assert r["ok"] is False and r["errno"] == 90, r          # EMSGSIZE
	# Same connection still works after the oversized line was skipped.
	r = ask(s, f, b"{\"cmd\":\"dev.show\"}\n")
	assert r["ok"] is True, r
	# The other client was never disturbed.
	r = ask(bystander, bf, b"{\"cmd\":\"port.show\",\"handle\":\"sfnic0npf0sf1\"}\n")
	assert r["ok"] is True, r
	# A client that dies mid-request and one that never reads replies.
	d = socket.socket(socket.AF_UNIX); d.connect(sys.argv[1]); d.sendall(b"{\"cmd\":\"dev.sh"); d.close()
	lazy = socket.socket(socket.AF_UNIX); lazy.connect(sys.argv[1])
	lazy.sendall(b"{\"cmd\":\"port.show\"}\n" * 2000)
	r = ask(bystander, bf, b"{\"cmd\":\"dev.show\"}\n")
	assert r["ok"] is True, r
	PY
	expect_eq "$(sf port show sfnic0npf0sf1 -j | jget '.port[].sfnum')" 1 "state intact"
	daemon_stop || fail "daemon stop"
}

test_pipelined_reactivation_is_ebusy() {
	daemon_start || fail "daemon start"
	sf_active 7
	# Both requests arrive before the PF driver handles the teardown event.
	python3 - "$T/run/sfnicd.sock" <<-'PY' || fail "pipelined"
	import json, socket, sys
	s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
	s.sendall(b'{"cmd":"port.function.set","handle":"sfnic/sfnic0/32768","state":"inactive"}\n'
	          b'{"cmd":"port.function.set","handle":"sfnic/sfnic0/32768","state":"active"}\n')
	a, b = json.loads(f.readline()), json.loads(f.readline())
	assert a["ok"] is True, a
	assert b == {"ok": False, "errno": 16, "msg": "SF is inactivated but it is still attached"}, b
	PY
	expect_eq "$(sf port show sfnic/sfnic0/32768 -j | jget '.port[].function.opstate')" detached "detached after"
	sf port function set sfnic/sfnic0/32768 state active || fail "reactivate after detach"
	daemon_stop || fail "daemon stop"
}

test_second_daemon_refused() {
	daemon_start || fail "daemon start"
	out=$("$SFNICD" 2>&1); rc=$?
	[ $rc -ne 0 ] || fail "second daemon started"
	echo "$out" | grep -q "in use by another sfnicd" || fail "message: $out"
	daemon_stop || fail "daemon stop"
}
