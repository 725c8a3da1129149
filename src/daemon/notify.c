/* systemd's readiness notification without libsystemd (notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

tekho_err tekho_notify_to(const char *socket_name, const char *state)
{
    if (state == NULL || state[0] == '\0' || strlen(state) > TEKHO_NOTIFY_STATE_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (socket_name == NULL || socket_name[0] == '\0')
        return TEKHO_OK;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    const size_t len = strlen(socket_name);
    if ((socket_name[0] != '/' && socket_name[0] != '@') || len < 2 || len > sizeof sun.sun_path - 1)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memcpy(sun.sun_path, socket_name, len);
    /* An abstract name is exactly its bytes after the NUL: the address
     * length counts no terminator. A path is NUL-terminated. */
    socklen_t sun_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (socket_name[0] == '@')
        sun.sun_path[0] = '\0';
    else
        sun_len++;
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return TEKHO_ERR_IO;
    ssize_t n;
    do
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sun, sun_len);
    while (n < 0 && errno == EINTR);
    const int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(state) ? TEKHO_OK : TEKHO_ERR_IO;
}

tekho_err tekho_notify(const char *state)
{
    return tekho_notify_to(getenv("NOTIFY_SOCKET"), state);
}
