/*
 * nd_keep.h - the fd keeper: netdevs that outlive a crashed daemon.
 *
 * A TAP netdev lives as long as some process holds its fd.  sfnicd hands
 * every TAP fd to a small keeper process (sfnicd --fd-keeper SOCK, started
 * on first need), the way systemd's file-descriptor store works.  When the
 * daemon is killed, the keeper still holds them: SF netdevs stay in their
 * containers' namespaces with their addresses, representors stay in their
 * bridges, and the restarted daemon takes the fds back and carries on.  A
 * graceful stop tells the keeper to let go (the netdevs disappear), and the
 * keeper exits by itself once its socket file is removed.
 *
 * Calls are for the control thread.  With no keeper open, every call is a
 * no-op and nd_keep_take() finds nothing.
 */
#ifndef SFNIC_ND_KEEP_H
#define SFNIC_ND_KEEP_H

#include <stdbool.h>
#include <stddef.h>

/* Connects to the keeper at sock_path, starting it (exe --fd-keeper
 * sock_path) when none answers, and fetches the fds it holds.  Returns 0
 * or -errno with a reason in err. */
int nd_keep_open(const char *sock_path, const char *exe, char *err, size_t len);

/* The fd kept under name from a previous run, or -1.  The caller owns the
 * returned fd (the keeper still holds its own copy). */
int nd_keep_take(const char *name);

/* Gives the keeper a copy of fd under name (replacing any). */
void nd_keep_put(const char *name, int fd);

/* Makes the keeper close its copy of name. */
void nd_keep_del(const char *name);

/* Makes the keeper close every fd fetched by nd_keep_open that nobody took
 * (netdevs the restored state no longer has). */
void nd_keep_drop_untaken(void);

/* Disconnects.  With forget, the keeper closes everything and exits (a
 * graceful stop); without, it keeps the fds for the next daemon. */
void nd_keep_close(bool forget);

/* The keeper process itself.  Returns its exit code. */
int nd_keep_main(const char *sock_path);

#endif
