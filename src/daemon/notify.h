/* The service manager's readiness protocol (systemd's sd_notify, without
 * libsystemd): a daemon started by a Type=notify unit tells systemd it is
 * serving ("READY=1"), what it is doing ("STATUS=..."), and that it is
 * going away ("STOPPING=1"), each as one datagram to the AF_UNIX socket
 * $NOTIFY_SOCKET names: a path ("/run/systemd/notify"), or a name in the
 * abstract namespace when it starts with '@' (the '@' becoming the leading
 * NUL). Without $NOTIFY_SOCKET (started by hand, or by another kind of
 * unit) nothing is sent and nothing fails.
 *
 * The state is newline-separated ASSIGNMENT lines, as sd_notify(3) takes
 * them: "READY=1\nSTATUS=serving 7 BSs". The socket is opened, used once
 * and closed per call (a few times in a daemon's life); the datagram
 * carries the caller's credentials, so it comes from the unit's main
 * process (NotifyAccess=main) when the daemon calls it itself.
 *
 * Internal to the daemons (libtekho_daemon, not installed). */
#ifndef TEKHO_DAEMON_NOTIFY_H
#define TEKHO_DAEMON_NOTIFY_H

#include "tekho/error.h"

/* The longest state sent (systemd reads up to its page-sized buffer). */
#define TEKHO_NOTIFY_STATE_MAX 4096

/* Sends state to the socket named socket_name (NULL or "": nothing sent,
 * TEKHO_OK). Errors: invalid argument (state NULL or empty or longer than
 * TEKHO_NOTIFY_STATE_MAX; a name neither absolute nor '@', or too long for
 * a sockaddr_un), I/O (the socket, or the send, failed: errno kept). */
TEKHO_NODISCARD tekho_err tekho_notify_to(const char *socket_name, const char *state);

/* tekho_notify_to($NOTIFY_SOCKET, state). */
TEKHO_NODISCARD tekho_err tekho_notify(const char *state);

#endif
