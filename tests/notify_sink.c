/* A stand-in for systemd's notification socket, for tests/test_deploy.sh:
 * binds an AF_UNIX datagram socket at PATH (or "@name", abstract) and
 * appends each datagram to OUT as one line, "PID STATE" with the state's
 * newlines as spaces (PID the sender's, from SO_PASSCRED, as systemd
 * checks it for NotifyAccess=main), flushed at once. Runs until SIGTERM.
 * usage: notify_sink PATH OUT */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: notify_sink PATH OUT\n");
        return 2;
    }
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    const size_t len = strlen(argv[1]);
    if (len < 2 || len >= sizeof sun.sun_path) {
        fprintf(stderr, "notify_sink: %s: bad name\n", argv[1]);
        return 2;
    }
    memcpy(sun.sun_path, argv[1], len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    if (argv[1][0] == '@') {
        sun.sun_path[0] = '\0';
        sl--;
    }
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    FILE *out = fopen(argv[2], "a");
    if (fd < 0 || bind(fd, (const struct sockaddr *)&sun, sl) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 || out == NULL) {
        fprintf(stderr, "notify_sink: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (;;) {
        char buf[8192];
        union {
            struct cmsghdr h;
            char space[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof control};
        const ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        long pid = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof cred);
                pid = (long)cred.pid;
            }
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\n' || buf[i] == '\0')
                buf[i] = ' ';
        buf[n] = '\0';
        fprintf(out, "%ld %s\n", pid, buf);
        fflush(out);
    }
}
