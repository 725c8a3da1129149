/* tests/pg_server.h: a throw-away PostgreSQL server for the store tests. */
#include "pg_server.h"

#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int pg_run(char *const argv[], const char *log)
{
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The newest /usr/lib/postgresql/VERSION/bin holding initdb and pg_ctl. */
static bool find_bindir(char *out, size_t cap)
{
    glob_t g;
    bool found = false;
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0) {
        long best = -1;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
            char ctl[300];
            snprintf(ctl, sizeof ctl, "%.*s/pg_ctl", (int)(strlen(g.gl_pathv[i]) - strlen("/initdb")),
                     g.gl_pathv[i]);
            if (v > best && access(ctl, X_OK) == 0) {
                best = v;
                snprintf(out, cap, "%.*s", (int)(strlen(g.gl_pathv[i]) - strlen("/initdb")), g.gl_pathv[i]);
                found = true;
            }
        }
        globfree(&g);
    }
    return found;
}

/* Runs a server binary, as postgres when we are root. */
static int run_server_tool(const struct pg_server *s, const char *tool, char *const args[], const char *log)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", s->bindir, tool);
    char *argv[24];
    size_t n = 0;
    if (s->as_postgres) {
        argv[n++] = (char *)"runuser";
        argv[n++] = (char *)"-u";
        argv[n++] = (char *)"postgres";
        argv[n++] = (char *)"--";
    }
    argv[n++] = path;
    for (size_t i = 0; args[i] != NULL && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return pg_run(argv, log);
}

bool pg_server_start(struct pg_server *s, char *why, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (!find_bindir(s->bindir, sizeof s->bindir) && geteuid() == 0) {
        fprintf(stderr, "pg_server: no PostgreSQL server binaries: installing the postgresql package\n");
        char *update[] = {"apt-get", "update", "-qq", NULL};
        char *install[] = {"apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql", NULL};
        setenv("DEBIAN_FRONTEND", "noninteractive", 1);
        if (pg_run(update, NULL) != 0 || pg_run(install, NULL) != 0)
            fprintf(stderr, "pg_server: apt-get could not install postgresql\n");
    }
    if (s->bindir[0] == '\0' && !find_bindir(s->bindir, sizeof s->bindir)) {
        snprintf(why, cap, "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin), and they could not be "
                           "installed (scripts/install-deps.sh installs them as root)");
        return false;
    }
    snprintf(s->dir, sizeof s->dir, "/tmp/tekho-pg-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        snprintf(why, cap, "mkdtemp failed");
        return false;
    }
    if (geteuid() == 0) {
        const struct passwd *pw = getpwnam("postgres");
        if (pw == NULL || chown(s->dir, pw->pw_uid, pw->pw_gid) != 0) {
            snprintf(why, cap, "running as root, and there is no postgres user to run the server as");
            pg_server_stop(s);
            return false;
        }
        s->as_postgres = true;
    }
    char data[300], log[300], conf[340];
    snprintf(data, sizeof data, "%s/data", s->dir);
    snprintf(log, sizeof log, "%s/server.log", s->dir);
    snprintf(conf, sizeof conf, "%s/postgresql.conf", data);
    char *initdb[] = {"-D", data, "-A", "trust", "-U", "tekho", "-E", "UTF8", "--no-sync", NULL};
    if (run_server_tool(s, "initdb", initdb, NULL) != 0) {
        snprintf(why, cap, "initdb failed");
        pg_server_stop(s);
        return false;
    }
    /* A Unix socket in the directory, no TCP; durable commits as in production. */
    FILE *f = fopen(conf, "a");
    if (f == NULL) {
        snprintf(why, cap, "cannot write %s", conf);
        pg_server_stop(s);
        return false;
    }
    fprintf(f, "\nlisten_addresses = ''\nunix_socket_directories = '%s'\nport = 5432\nfsync = on\n"
               "synchronous_commit = on\nmax_connections = 20\nshared_buffers = 32MB\n",
            s->dir);
    fclose(f);
    char *start[] = {"-D", data, "-l", log, "-w", "-t", "60", "start", NULL};
    if (run_server_tool(s, "pg_ctl", start, NULL) != 0) {
        snprintf(why, cap, "pg_ctl start failed (see %s)", log);
        pg_server_stop(s);
        return false;
    }
    s->running = true;
    snprintf(s->conninfo, sizeof s->conninfo, "host=%s port=5432 user=tekho dbname=postgres", s->dir);
    return true;
}

void pg_server_stop(struct pg_server *s)
{
    if (s->running) {
        char data[300];
        snprintf(data, sizeof data, "%s/data", s->dir);
        char *stop[] = {"-D", data, "-m", "fast", "-w", "stop", NULL};
        (void)run_server_tool(s, "pg_ctl", stop, NULL);
        s->running = false;
    }
    if (s->dir[0] != '\0') {
        char *rm[] = {"rm", "-rf", "--", s->dir, NULL};
        (void)pg_run(rm, NULL);
        s->dir[0] = '\0';
    }
}
