/* test_svc.c - the systemd notify protocol byte for byte on path and
 * abstract sockets, the watchdog's environment rules, and a watchdog that
 * stops feeding when a datapath worker hangs and resumes when it is let go. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../src/dp/dp.h"
#include "../../src/svc/svc.h"

/* A datagram socket bound at addr (a path, or "@name" for an abstract one),
 * as systemd's manager binds its notify socket. */
static int bind_dgram(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@')
		sa.sun_path[0] = 0;
	else
		unlink(addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
					  (addr[0] != '@'))), 0);
	return fd;
}

/* The next datagram as a string, or "" when none is waiting. */
static const char *recv_msg(int fd)
{
	static char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void test_no_socket_is_success(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(svc_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(svc_notify("READY=1"), 0);
}

static void test_path_socket(void **state)
{
	char path[64];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_svc.%d.sock", (int)getpid());
	fd = bind_dgram(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(svc_notify("READY=1\nSTATUS=%s %u", "up:", 3u), 0);
	assert_string_equal(recv_msg(fd), "READY=1\nSTATUS=up: 3");
	assert_int_equal(svc_notify("STOPPING=1"), 0);
	assert_string_equal(recv_msg(fd), "STOPPING=1");
	close(fd);
	unlink(path);
	/* Nobody listens any more. */
	assert_int_equal(svc_notify("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **state)
{
	char name[64], longer[80];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@test_svc.%d", (int)getpid());
	fd = bind_dgram(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(svc_notify("WATCHDOG=1"), 0);
	assert_string_equal(recv_msg(fd), "WATCHDOG=1");
	/* The name's length is part of it: one byte more is another socket. */
	snprintf(longer, sizeof(longer), "%sx", name);
	setenv("NOTIFY_SOCKET", longer, 1);
	assert_int_equal(svc_notify("WATCHDOG=1"), -ECONNREFUSED);
	assert_string_equal(recv_msg(fd), "");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_bad_addresses(void **state)
{
	char huge[5000];

	(void)state;
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(svc_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(svc_notify("READY=1"), -EAFNOSUPPORT);
	memset(huge, 'a', sizeof(huge) - 1);
	huge[0] = '/';
	huge[sizeof(huge) - 1] = 0;
	setenv("NOTIFY_SOCKET", huge, 1);
	assert_int_equal(svc_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "/tmp/x", 1);
	assert_int_equal(svc_notify("STATUS=%s", huge), -EMSGSIZE);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_env(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(svc_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "1000000", 1);
	assert_int_equal(svc_watchdog_usec(), 1000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(svc_watchdog_usec(), 1000000);
	/* Meant for another process (a child that inherited the variables). */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(svc_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	for (const char *bad = "0\0-5\0" "12x\0" "\0"; *bad || bad[1]; bad += strlen(bad) + 1) {
		setenv("WATCHDOG_USEC", bad, 1);
		assert_int_equal(svc_watchdog_usec(), 0);
	}
	unsetenv("WATCHDOG_USEC");
}

/* The loop: main.c's is api_watch; here the test calls the callback. */
static void (*tick_cb)(void *);
static void *tick_arg;

static int fake_watch(void *loop, int fd, void (*cb)(void *arg), void *arg)
{
	(void)loop;
	(void)fd;
	tick_cb = cb;
	tick_arg = arg;
	return 0;
}

/* One watchdog period (20 ms) later, the feeder's tick. */
static void tick(void)
{
	nanosleep(&(struct timespec){ 0, 25 * 1000000 }, NULL);
	tick_cb(tick_arg);
}

/* Waits (at most 5 s: the VM may be busy) until worker w is asleep
 * (want_sleep) or held by its injected hang, awake. */
static void wait_worker(struct dp *dp, unsigned w, bool want_sleep)
{
	struct dp_worker_health wh;

	for (int i = 0; i < 5000; i++) {
		assert_int_equal(dp_worker_health(dp, w, &wh), 0);
		if (want_sleep ? wh.sleeping : (wh.hang && !wh.sleeping))
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	fail_msg("worker %u never %s", w, want_sleep ? "slept" : "hung");
}

/* Waits (at most 5 s) until worker w's heartbeat moves past beat. */
static void wait_beat(struct dp *dp, unsigned w, uint64_t beat)
{
	struct dp_worker_health wh;

	for (int i = 0; i < 5000; i++) {
		assert_int_equal(dp_worker_health(dp, w, &wh), 0);
		if (wh.heartbeat != beat)
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	fail_msg("worker %u made no pass", w);
}

static void test_watchdog_follows_the_datapath(void **state)
{
	char path[64], err[128] = "";
	struct dp *dp;
	struct svc_wd *wd;
	int fd, pings = 0, status = 0;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_svc_wd.%d.sock", (int)getpid());
	fd = bind_dgram(path);
	setenv("NOTIFY_SOCKET", path, 1);
	dp = dp_create(&(struct dp_config){ .workers = 2, .sf_buffers = 64, .host_buffers = 256 },
		       err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(dp_start(dp), 0);
	/* Threads that were never scheduled yet would look hung. */
	wait_worker(dp, 0, true);
	wait_worker(dp, 1, true);
	wd = svc_wd_create(dp, 40000, fake_watch, NULL, err, sizeof(err));
	assert_non_null(wd);
	/* Idle workers sleep: nothing to do is progress. */
	for (int i = 0; i < 3; i++) {
		tick();
		assert_string_equal(recv_msg(fd), "WATCHDOG=1");
	}
	/* A hung worker 1: at most the tick that still saw it moving pings. */
	assert_int_equal(dp_fault_hang_worker(dp, 1, true), 0);
	wait_worker(dp, 1, false);
	for (int i = 0; i < 5; i++) {
		const char *m;

		tick();
		while (*(m = recv_msg(fd))) {
			if (!strcmp(m, "WATCHDOG=1"))
				pings++;
			else if (!strcmp(m, "STATUS=datapath worker 1 stopped making progress; "
					 "watchdog not fed"))
				status++;
			else
				fail_msg("unexpected notification \"%s\"", m);
		}
	}
	assert_true(pings <= 1);
	assert_int_equal(status, 1);    /* said once per stall */
	/* Released: the pings come back, with a status saying so. */
	{
		struct dp_worker_health wh;

		assert_int_equal(dp_worker_health(dp, 1, &wh), 0);
		assert_int_equal(dp_fault_hang_worker(dp, 1, false), 0);
		wait_beat(dp, 1, wh.heartbeat);
	}
	tick();
	tick();
	assert_string_equal(recv_msg(fd),
			    "WATCHDOG=1\nSTATUS=running: every datapath worker makes progress");
	assert_string_equal(recv_msg(fd), "WATCHDOG=1");
	svc_wd_destroy(wd);
	dp_destroy(dp);
	close(fd);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_socket_is_success),
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_watchdog_env),
		cmocka_unit_test(test_watchdog_follows_the_datapath),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
