/* The readiness notification (src/daemon/notify.h) against real AF_UNIX
 * datagram sockets, as systemd listens on them: a path socket and an
 * abstract one, the datagram's bytes and the sender's credentials
 * (SO_PASSCRED: the pid systemd checks against NotifyAccess=main), no
 * socket named (nothing sent, no error), names systemd would not take, a
 * socket nobody listens on, and $NOTIFY_SOCKET read by tekho_notify. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "test_util.h"

/* A listening socket like systemd's: name a path, or "@..." abstract. */
static int listen_at(const char *name)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    const size_t len = strlen(name);
    memcpy(sun.sun_path, name, len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    if (name[0] == '@') {
        sun.sun_path[0] = '\0';
        sl--;
    }
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    if (fd < 0 || bind(fd, (const struct sockaddr *)&sun, sl) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
        fprintf(stderr, "cannot listen at %s: %s\n", name, strerror(errno));
        test_failures++;
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The next datagram into buf (NUL-terminated), its sender's pid in *pid;
 * its length, or -1 when none is waiting. */
static ssize_t receive(int fd, char *buf, size_t cap, pid_t *pid)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                         .msg_controllen = sizeof control};
    const ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    *pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            *pid = cred.pid;
        }
    return n;
}

int main(void)
{
    char dir[] = "/tmp/tekho_notify.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[256], buf[TEKHO_NOTIFY_STATE_MAX + 64];
    snprintf(path, sizeof path, "%s/notify", dir);
    pid_t pid = 0;

    /* A path socket: the exact bytes, one datagram each, from this process. */
    const int fd = listen_at(path);
    CHECK_ERR(tekho_notify_to(path, "READY=1\nSTATUS=serving 3 BSs"), TEKHO_OK);
    CHECK(receive(fd, buf, sizeof buf, &pid) == 28);
    CHECK(strcmp(buf, "READY=1\nSTATUS=serving 3 BSs") == 0);
    CHECK(pid == getpid());
    CHECK_ERR(tekho_notify_to(path, "STOPPING=1"), TEKHO_OK);
    CHECK(receive(fd, buf, sizeof buf, &pid) == 10 && strcmp(buf, "STOPPING=1") == 0);
    CHECK(receive(fd, buf, sizeof buf, &pid) == -1);

    /* The longest state goes whole; one byte more is refused, nothing sent. */
    char *big = malloc(TEKHO_NOTIFY_STATE_MAX + 2);
    CHECK(big != NULL);
    if (big != NULL) {
        memcpy(big, "STATUS=", 7);
        memset(big + 7, 'x', TEKHO_NOTIFY_STATE_MAX - 7);
        big[TEKHO_NOTIFY_STATE_MAX] = '\0';
        CHECK_ERR(tekho_notify_to(path, big), TEKHO_OK);
        CHECK(receive(fd, buf, sizeof buf, &pid) == TEKHO_NOTIFY_STATE_MAX && strcmp(buf, big) == 0);
        big[TEKHO_NOTIFY_STATE_MAX] = 'x';
        big[TEKHO_NOTIFY_STATE_MAX + 1] = '\0';
        CHECK_ERR(tekho_notify_to(path, big), TEKHO_ERR_INVALID_ARGUMENT);
        CHECK(receive(fd, buf, sizeof buf, &pid) == -1);
        free(big);
    }

    /* An abstract socket: "@name" is the name after a NUL, no terminator. */
    char abstract[64];
    snprintf(abstract, sizeof abstract, "@tekho-notify-test-%ld", (long)getpid());
    const int afd = listen_at(abstract);
    CHECK_ERR(tekho_notify_to(abstract, "READY=1"), TEKHO_OK);
    CHECK(receive(afd, buf, sizeof buf, &pid) == 7 && strcmp(buf, "READY=1") == 0 && pid == getpid());
    CHECK(receive(fd, buf, sizeof buf, &pid) == -1); /* not to the other one */
    /* The same name with a trailing NUL counted would be another socket. */
    char longer[80];
    snprintf(longer, sizeof longer, "%s-", abstract);
    CHECK_ERR(tekho_notify_to(longer, "READY=1"), TEKHO_ERR_IO);
    CHECK(receive(afd, buf, sizeof buf, &pid) == -1);

    /* $NOTIFY_SOCKET: unset or empty, nothing and no error; set, there. */
    unsetenv("NOTIFY_SOCKET");
    CHECK_ERR(tekho_notify("READY=1"), TEKHO_OK);
    CHECK_ERR(tekho_notify_to(NULL, "READY=1"), TEKHO_OK);
    setenv("NOTIFY_SOCKET", "", 1);
    CHECK_ERR(tekho_notify("READY=1"), TEKHO_OK);
    CHECK(receive(fd, buf, sizeof buf, &pid) == -1 && receive(afd, buf, sizeof buf, &pid) == -1);
    setenv("NOTIFY_SOCKET", path, 1);
    CHECK_ERR(tekho_notify("STATUS=via the environment"), TEKHO_OK);
    CHECK(receive(fd, buf, sizeof buf, &pid) > 0 && strcmp(buf, "STATUS=via the environment") == 0);
    setenv("NOTIFY_SOCKET", abstract, 1);
    CHECK_ERR(tekho_notify("READY=1"), TEKHO_OK);
    CHECK(receive(afd, buf, sizeof buf, &pid) == 7);
    unsetenv("NOTIFY_SOCKET");

    /* Names systemd never gives, and bad states: refused, nothing sent. */
    CHECK_ERR(tekho_notify_to("relative/notify", "READY=1"), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_notify_to("@", "READY=1"), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_notify_to("vsock:2:1234", "READY=1"), TEKHO_ERR_INVALID_ARGUMENT);
    char too_long[200];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[0] = '/';
    too_long[sizeof too_long - 1] = '\0';
    CHECK_ERR(tekho_notify_to(too_long, "READY=1"), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_notify_to(path, ""), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_notify_to(path, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(receive(fd, buf, sizeof buf, &pid) == -1);

    /* Nobody listening (systemd gone, or a stale name): an I/O error, errno kept. */
    close(fd);
    unlink(path);
    errno = 0;
    CHECK_ERR(tekho_notify_to(path, "READY=1"), TEKHO_ERR_IO);
    CHECK(errno == ENOENT);
    if (afd >= 0)
        close(afd);
    rmdir(dir);
    return test_summary("test_notify");
}
