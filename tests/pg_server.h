/* A PostgreSQL server of the test's own: initdb in a temporary directory,
 * a Unix socket there and no TCP, started with pg_ctl (as the postgres
 * user when the test runs as root, through runuser with an argument
 * vector, never a shell) and stopped and removed by pg_server_stop. */
#ifndef TEKHO_TEST_PG_SERVER_H
#define TEKHO_TEST_PG_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct pg_server {
    char dir[256];       /* the temporary directory: data/, the socket, the log */
    char bindir[256];    /* initdb, pg_ctl */
    char conninfo[512];  /* host=DIR port=... user=tekho dbname=postgres */
    bool as_postgres;    /* run through runuser -u postgres */
    bool running;
};

/* Runs argv[0] (searched on PATH) with its output appended to log (NULL:
 * /dev/null); returns its exit status, or -1 if it could not run. */
int pg_run(char *const argv[], const char *log);

/* Finds the server binaries (installing the postgresql package with
 * apt-get when they are missing and this runs as root), creates and starts
 * the server. false, with why[] set, when there is no server to be had:
 * the caller skips (exit 77). */
bool pg_server_start(struct pg_server *s, char *why, size_t cap);
/* Stops it (if running) and removes its directory. */
void pg_server_stop(struct pg_server *s);

#endif
