/*
 * ul.h - the uplink: what feeds p0's receive side and takes what p0 sends.
 *
 * An uplink is chosen by a spec string on sfnicd's command line:
 *   null                      transmitted frames are counted and dropped
 *   afxdp:IFNAME[@QUEUE]      AF_XDP on a Linux interface (falls back to
 *                             AF_PACKET when AF_XDP cannot be set up)
 *   afpacket:IFNAME           AF_PACKET (TPACKET_V3) on a Linux interface
 *   memif:PATH[,id=N][,secret=S]
 *                             a memif client of the server on socket file
 *                             PATH (DPDK, VPP): interface id N (default 0),
 *                             secret S (up to 23 characters); p0 is down
 *                             until it connects and while it reconnects
 *   pcap:rx=IN.pcap,tx=OUT.pcap
 *                             IN's frames are received by p0 once, as fast
 *                             as p0's input takes them; what p0 transmits is
 *                             written to OUT (either key may be left out)
 *
 * The uplink runs in the control thread: it is driven by file descriptors the
 * caller's event loop watches (ul_watch_fn), never by the workers.
 */
#ifndef SFNIC_UL_H
#define SFNIC_UL_H

#include <stddef.h>

struct dp;
struct ul;

/* Registers fd with the caller's event loop: cb(arg) runs when it is
 * readable.  Returns 0 or -errno. */
typedef int (*ul_watch_fn)(void *loop, int fd, void (*cb)(void *arg), void *arg);

/* Checks a spec without opening anything.  Returns 0, or -EINVAL with a
 * one-line reason in err. */
int ul_parse_check(const char *spec, char *err, size_t errlen);

/* Opens the uplink described by spec and makes it p0's consumer and
 * source.  Call after dp_start().  Returns NULL with a reason in err. */
struct ul *ul_open(const char *spec, struct dp *dp, ul_watch_fn watch, void *loop,
		   char *err, size_t errlen);

/* Detaches from p0, writes out frames still queued, closes files.  Must run
 * before dp_destroy() and after the event loop stopped calling back. */
void ul_close(struct ul *u);

#endif
