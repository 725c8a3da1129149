/* with_pg: runs a command against a PostgreSQL server of its own
 * (pg_server.h: initdb in a temporary directory, a Unix socket, no TCP),
 * each "@PGURL@" among its arguments replaced by the server's URL
 * (postgresql:///postgres?host=DIR&port=5432&user=tekho); stops and
 * removes the server after. Exit: the command's status, 77 when there is
 * no PostgreSQL server to be had (the test is skipped).
 * usage: with_pg COMMAND [ARG...] */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pg_server.h"

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: with_pg COMMAND [ARG...]\n");
        return 2;
    }
    struct pg_server s;
    char why[512];
    if (!pg_server_start(&s, why, sizeof why)) {
        printf("with_pg: no PostgreSQL server (%s): skipped\n", why);
        return 77;
    }
    char url[600];
    snprintf(url, sizeof url, "postgresql:///postgres?host=%s&port=5432&user=tekho", s.dir);
    char **args = calloc((size_t)argc, sizeof *args);
    if (args == NULL) {
        pg_server_stop(&s);
        return 1;
    }
    for (int i = 1; i < argc; i++)
        args[i - 1] = strcmp(argv[i], "@PGURL@") == 0 ? url : argv[i];
    pid_t pid;
    int status = 1;
    if (posix_spawnp(&pid, args[0], NULL, NULL, args, environ) != 0 || waitpid(pid, &status, 0) != pid)
        status = 1 << 8;
    pg_server_stop(&s);
    free(args);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
