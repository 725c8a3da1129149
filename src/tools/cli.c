#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Bounds every hex argument, so a huge argument cannot make us allocate. */
#define CLI_HEX_ARG_MAX 65536u

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cli_hex_decode(const char *text, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(text);
    if (n % 2 != 0 || n / 2 > CLI_HEX_ARG_MAX)
        return -1;
    uint8_t *bytes = malloc(n / 2 + 1);
    if (bytes == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_nibble(text[2 * i]), lo = hex_nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(bytes, i); /* the part decoded may be key material */
            free(bytes);
            return -1;
        }
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = bytes;
    *out_len = n / 2;
    return 0;
}

int cli_parse_number(const char *text, uint64_t *out)
{
    if (text[0] == '\0' || text[0] == '-' || text[0] == '+' || isspace((unsigned char)text[0]))
        return -1;
    int base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
        if (*text == '\0')
            return -1;
    }
    for (const char *p = text; *p; p++)
        if (base == 10 ? !isdigit((unsigned char)*p) : hex_nibble(*p) < 0)
            return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, base);
    if (errno != 0 || end == NULL || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cli_parse_real(const char *text, double *out)
{
    size_t digits = 0, dots = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '.')
            dots++;
        else if (isdigit((unsigned char)*p))
            digits++;
        else
            return -1;
    }
    if (digits == 0 || dots > 1 || digits > 30)
        return -1;
    errno = 0;
    char *end = NULL;
    const double v = strtod(text, &end);
    if (errno != 0 || end == NULL || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* The modes an option fits, as "with --scenario" or "with --topology or
 * without --store" (a selector not starting with "--" is said as it is);
 * "" when it fits every one. */
static void modes_text(const struct cli_cmd *cmd, unsigned modes, char *buf, size_t cap)
{
    buf[0] = '\0';
    const unsigned all = cmd->n_modes >= 32 ? ~0u : (1u << cmd->n_modes) - 1;
    if (modes == 0 || (modes & all) == all)
        return;
    size_t at = 0;
    bool first = true;
    for (size_t k = 0; k < cmd->n_modes && at < cap; k++) {
        if (!(modes & 1u << k))
            continue;
        const char *sel = cmd->modes[k].selector;
        const int n = snprintf(buf + at, cap - at, "%s%s%s", first ? "" : " or ",
                               strncmp(sel, "--", 2) == 0 ? "with " : "", sel);
        if (n < 0)
            break;
        at += (size_t)n;
        first = false;
    }
}

static void print_real(FILE *to, double v)
{
    fprintf(to, v == (double)(long long)v ? "%.0f" : "%g", v);
}

void cli_usage(const struct cli_cmd *cmd, FILE *to)
{
    fprintf(to, "usage: tekho %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->synopsis, cmd->description);
    for (size_t i = 0; i < cmd->n_opts; i++) {
        const struct cli_opt *o = &cmd->opts[i];
        const char *arg = o->arg                ? o->arg
                          : o->kind == CLI_HEX  ? "HEX"
                          : o->kind == CLI_NUM  ? "N"
                          : o->kind == CLI_REAL ? "X"
                          : o->kind == CLI_MAC  ? "MAC"
                          : o->kind == CLI_STR  ? "TEXT"
                          : o->kind == CLI_CHOICE ? o->choices
                                                  : NULL;
        char modes[160];
        modes_text(cmd, o->modes, modes, sizeof modes);
        for (size_t m = 0; m < cmd->n_modes; m++)
            if (strncmp(cmd->modes[m].selector, "--", 2) == 0 && strcmp(cmd->modes[m].selector + 2, o->name) == 0)
                snprintf(modes, sizeof modes, "selects the %s mode", cmd->modes[m].name);
        char note[200];
        snprintf(note, sizeof note, "%s%s%s", o->required ? "required" : "optional", modes[0] ? "; " : "", modes);
        if (o->secret) {
            fprintf(to, "  --%s HEX | --%s-file PATH  (%s)\n      %s\n", o->name, o->name, note, o->help);
            fprintf(to, "      --%s-file reads the hex from PATH (- for standard input) instead of the command\n"
                        "      line, which other users can see; a file that cannot be read exits 2\n",
                    o->name);
            continue;
        }
        fprintf(to, "  --%s%s%s", o->name, arg ? " " : "", arg ? arg : "");
        if (o->short_name)
            fprintf(to, " | -%c%s%s", o->short_name, arg ? " " : "", arg ? arg : "");
        fprintf(to, "  (%s)\n      %s", note, o->help);
        if (o->kind == CLI_NUM && o->max > o->min && o->max != UINT64_MAX)
            fprintf(to, " [%llu..%llu]", (unsigned long long)o->min, (unsigned long long)o->max);
        if (o->kind == CLI_REAL) {
            fprintf(to, " [");
            print_real(to, o->rmin);
            fprintf(to, "..");
            print_real(to, o->rmax);
            fprintf(to, "]");
        }
        if (o->kind == CLI_CHOICE && o->arg != NULL)
            fprintf(to, "\n      %s: %s", o->arg, o->choices);
        fputc('\n', to);
    }
    fprintf(to, "  --json\n      print JSON instead of text (the same names)\n  --help\n      this text\n");
    if (cmd->epilog)
        fprintf(to, "\n%s\n", cmd->epilog);
    bool short_opts = false;
    for (size_t i = 0; i < cmd->n_opts; i++)
        short_opts |= cmd->opts[i].short_name != 0;
    fprintf(to, "\nEvery option takes its value as --NAME VALUE or --NAME=VALUE%s.\n",
            short_opts ? " (-C VALUE or -CVALUE where it has a short form -C)" : "");
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
    fprintf(stderr, "tekho %s: ", cmd->name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see tekho %s --help)\n", cmd->name);
    return CLI_EXIT_USAGE;
}

static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int index = 0;
    for (const char *p = choices; *p; index++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return index;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

/* Where a value's error goes: the command line's usage error, or a buffer. */
struct reporter {
    int (*fn)(void *ctx, const char *fmt, va_list ap);
    void *ctx;
};

static int report(const struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int report(const struct reporter *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int rc = r->fn(r->ctx, fmt, ap);
    va_end(ap);
    return rc;
}

/* Parses text as o's value into *v: -1 when it is one, else what r
 * returned after being told why not. */
static int parse_value_r(const struct reporter *r, const struct cli_opt *o, const char *text, struct cli_value *v)
{
    switch (o->kind) {
    case CLI_HEX:
        if (cli_hex_decode(text, &v->bytes, &v->len) != 0)
            return report(r, "--%s: not hex (an even number of hex digits, no separators)", o->name);
        if (v->len < o->min_len || v->len > o->max_len) {
            if (o->min_len == o->max_len)
                return report(r, "--%s: must be %zu bytes, got %zu", o->name, o->min_len, v->len);
            return report(r, "--%s: must be %zu to %zu bytes, got %zu", o->name, o->min_len, o->max_len,
                          v->len);
        }
        break;
    case CLI_NUM:
        if (cli_parse_number(text, &v->num) != 0)
            return report(r, "--%s: not a number: '%s'", o->name, text);
        if (v->num < o->min || v->num > o->max)
            return report(r, "--%s: out of range %llu..%llu: '%s'", o->name, (unsigned long long)o->min,
                          (unsigned long long)o->max, text);
        v->real = (double)v->num;
        break;
    case CLI_REAL:
        if (cli_parse_real(text, &v->real) != 0)
            return report(r, "--%s: not a decimal number: '%s'", o->name, text);
        if (v->real < o->rmin || v->real > o->rmax)
            return report(r, "--%s: out of range %g..%g: '%s'", o->name, o->rmin, o->rmax, text);
        break;
    case CLI_CHOICE: {
        int idx = choice_index(o->choices, text);
        if (idx < 0)
            return report(r, "--%s: must be one of %s, got '%s'", o->name, o->choices, text);
        v->num = (uint64_t)idx;
        break;
    }
    case CLI_STR: {
        const size_t len = strlen(text);
        if (len == 0 || len > 4096)
            return report(r, "--%s: empty or longer than 4096 characters", o->name);
        if ((v->bytes = malloc(len + 1)) == NULL)
            return report(r, "--%s: out of memory", o->name);
        memcpy(v->bytes, text, len + 1);
        v->len = len;
        break;
    }
    case CLI_MAC: {
        /* 001b11c9d50c, or 00:1b:11:c9:d5:0c: a colon after every byte but the last */
        const size_t len = strlen(text);
        char digits[13] = "";
        size_t n = 0;
        bool ok = len == 12 || len == 17;
        for (size_t i = 0; ok && i < len; i++) {
            if (len == 17 && i % 3 == 2)
                ok = text[i] == ':';
            else
                digits[n++] = text[i];
        }
        if (!ok || cli_hex_decode(digits, &v->bytes, &v->len) != 0 || v->len != 6)
            return report(r, "--%s: not a MAC address (001b11c9d50c or 00:1b:11:c9:d5:0c), got '%s'", o->name,
                          text);
        break;
    }
    case CLI_FLAG:
        break;
    }
    v->present = true;
    return -1;
}

static int usage_verror(void *ctx, const char *fmt, va_list ap)
{
    const struct cli_cmd *cmd = ctx;
    fprintf(stderr, "tekho %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see tekho %s --help)\n", cmd->name);
    return CLI_EXIT_USAGE;
}

static int parse_value(const struct cli_cmd *cmd, const struct cli_opt *o, const char *text, struct cli_value *v)
{
    const struct reporter r = {usage_verror, (void *)(uintptr_t)cmd};
    return parse_value_r(&r, o, text, v);
}

struct err_buf {
    char *buf;
    size_t cap;
};

static int buffer_verror(void *ctx, const char *fmt, va_list ap)
{
    const struct err_buf *e = ctx;
    if (e->cap > 0)
        vsnprintf(e->buf, e->cap, fmt, ap);
    return 0;
}

int cli_parse_value(const struct cli_opt *o, const char *text, struct cli_value *v, char *err, size_t cap)
{
    struct err_buf e = {err, cap};
    const struct reporter r = {buffer_verror, &e};
    if (cap > 0)
        err[0] = '\0';
    return parse_value_r(&r, o, text, v) < 0 ? 0 : -1;
}

/* The value of a secret option from a file or standard input ("-"): read
 * with read(2), so no stdio buffer keeps a copy, trimmed, then validated by
 * parse_value; every copy of the text is wiped. */
static int parse_file(const struct cli_cmd *cmd, const struct cli_opt *o, const char *path, bool *stdin_used,
                      struct cli_value *v)
{
    const bool use_stdin = strcmp(path, "-") == 0;
    if (use_stdin && *stdin_used)
        return cli_usage_error(cmd, "--%s-file -: standard input was already read for another option", o->name);
    const int fd = use_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_usage_error(cmd, "--%s-file: cannot open '%s': %s", o->name, path, strerror(errno));
    if (use_stdin)
        *stdin_used = true;
    /* Room for the longest valid value and generous whitespace around it. */
    const size_t cap = 2 * o->max_len + 4096;
    char *text = malloc(cap + 1);
    size_t n = 0;
    int rc = -1;
    if (text == NULL) {
        rc = cli_usage_error(cmd, "--%s-file: out of memory", o->name);
    } else {
        for (;;) {
            const ssize_t got = read(fd, text + n, cap + 1 - n);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                rc = cli_usage_error(cmd, "--%s-file: cannot read '%s': %s", o->name, path, strerror(errno));
                break;
            }
            n += (size_t)got;
            if (got == 0 || n > cap)
                break;
        }
        if (rc < 0 && n > cap)
            rc = cli_usage_error(cmd, "--%s-file: '%s' is too long for a %zu-byte value", o->name, path,
                                 o->max_len);
    }
    if (!use_stdin)
        close(fd);
    if (rc < 0) {
        size_t start = 0, end = n;
        while (start < end && isspace((unsigned char)text[start]))
            start++;
        while (end > start && isspace((unsigned char)text[end - 1]))
            end--;
        text[end] = '\0';
        rc = parse_value(cmd, o, text + start, v);
    }
    if (text != NULL) {
        OPENSSL_cleanse(text, cap + 1);
        free(text);
    }
    return rc;
}

size_t cli_find_option(const struct cli_cmd *cmd, const char *name, size_t name_len)
{
    size_t k = 0;
    while (k < cmd->n_opts && !(strlen(cmd->opts[k].name) == name_len &&
                                strncmp(cmd->opts[k].name, name, name_len) == 0))
        k++;
    return k;
}

/* Levenshtein distance of a[0..n) and b, both short option names. */
static size_t edit_distance(const char *a, size_t n, const char *b)
{
    const size_t m = strlen(b);
    if (n > 63 || m > 63)
        return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            const size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* The known option nearest to name (at most 2 edits, or one a prefix of
 * the other), or NULL. */
const char *cli_nearest_option(const struct cli_cmd *cmd, const char *name, size_t name_len)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t k = 0; k <= cmd->n_opts + 1; k++) {
        const char *cand = k < cmd->n_opts ? cmd->opts[k].name : k == cmd->n_opts ? "json" : "help";
        const size_t len = strlen(cand);
        size_t d = edit_distance(name, name_len, cand);
        if (d >= 3 && name_len >= 3 && (strncmp(cand, name, name_len < len ? name_len : len) == 0))
            d = 2;
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *out)
{
    memset(out, 0, sizeof *out);
    bool stdin_used = false;
    if (cmd->n_opts > CLI_MAX_OPTS)
        return cli_usage_error(cmd, "internal: too many options");
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_usage(cmd, stdout);
            cli_args_free(out);
            return CLI_EXIT_OK;
        }
        if (strcmp(arg, "--json") == 0) {
            out->json = true;
            continue;
        }
        if (arg[0] == '-' && isalpha((unsigned char)arg[1])) {
            /* -C VALUE or -CVALUE */
            size_t k = 0;
            while (k < cmd->n_opts && cmd->opts[k].short_name != arg[1])
                k++;
            if (k == cmd->n_opts) {
                cli_args_free(out);
                return cli_usage_error(cmd, "unknown option '-%c'", arg[1]);
            }
            const struct cli_opt *o = &cmd->opts[k];
            const char *value = NULL;
            if (out->v[k].present) {
                cli_args_free(out);
                return cli_usage_error(cmd, "--%s given twice (as --%s or -%c)", o->name, o->name, o->short_name);
            }
            if (o->kind == CLI_FLAG && arg[2] != '\0') {
                cli_args_free(out);
                return cli_usage_error(cmd, "-%c takes no value", o->short_name);
            }
            if (o->kind != CLI_FLAG) {
                if (arg[2] != '\0') {
                    value = arg + 2;
                } else if (i + 1 < argc) {
                    value = argv[++i];
                } else {
                    cli_args_free(out);
                    return cli_usage_error(cmd, "-%c needs a value", o->short_name);
                }
            }
            const int rc = parse_value(cmd, o, value, &out->v[k]);
            if (rc >= 0) {
                cli_args_free(out);
                return rc;
            }
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (out->n_operands < cmd->max_operands && out->n_operands < CLI_MAX_OPERANDS) {
                out->operands[out->n_operands++] = arg;
                continue;
            }
            cli_args_free(out);
            if (cmd->max_operands == 0)
                return cli_usage_error(cmd, "unexpected argument '%s'", arg);
            return cli_usage_error(cmd, "unexpected argument '%s' (at most %zu %s)", arg, cmd->max_operands,
                                   cmd->operands);
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        if (eq && name_len == 4 && strncmp(name, "json", 4) == 0) {
            cli_args_free(out);
            return cli_usage_error(cmd, "--json takes no value");
        }
        size_t k = cli_find_option(cmd, name, name_len);
        /* --NAME-file PATH for a secret --NAME */
        bool from_file = false;
        static const char FILE_SUFFIX[] = "-file";
        const size_t suffix_len = sizeof FILE_SUFFIX - 1;
        if (k == cmd->n_opts && name_len > suffix_len &&
            strncmp(name + name_len - suffix_len, FILE_SUFFIX, suffix_len) == 0) {
            k = cli_find_option(cmd, name, name_len - suffix_len);
            if (k < cmd->n_opts && cmd->opts[k].secret)
                from_file = true;
            else
                k = cmd->n_opts;
        }
        if (k == cmd->n_opts) {
            cli_args_free(out);
            const char *near = cli_nearest_option(cmd, name, name_len);
            if (near != NULL)
                return cli_usage_error(cmd, "unknown option '--%.*s'; did you mean --%s?", (int)name_len, name,
                                       near);
            return cli_usage_error(cmd, "unknown option '--%.*s'", (int)name_len, name);
        }
        const struct cli_opt *o = &cmd->opts[k];
        if (out->v[k].present) {
            cli_args_free(out);
            if (o->short_name)
                return cli_usage_error(cmd, "--%s given twice (as --%s or -%c)", o->name, o->name, o->short_name);
            if (o->secret)
                return cli_usage_error(cmd, "--%s given twice (as --%s or --%s-file)", o->name, o->name, o->name);
            return cli_usage_error(cmd, "--%s given twice", o->name);
        }
        const char *value = NULL;
        if (o->kind == CLI_FLAG) {
            if (eq) {
                cli_args_free(out);
                return cli_usage_error(cmd, "--%s takes no value", o->name);
            }
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            cli_args_free(out);
            return cli_usage_error(cmd, "--%s%s needs a value", o->name, from_file ? "-file" : "");
        }
        int rc = from_file ? parse_file(cmd, o, value, &stdin_used, &out->v[k])
                           : parse_value(cmd, o, value, &out->v[k]);
        if (rc >= 0) {
            cli_args_free(out);
            return rc;
        }
    }
    for (size_t k = 0; k < cmd->n_opts; k++) {
        if (cmd->opts[k].required && !out->v[k].present) {
            cli_args_free(out);
            return cli_usage_error(cmd, "missing --%s", cmd->opts[k].name);
        }
    }
    if (out->n_operands < cmd->min_operands) {
        cli_args_free(out);
        return cli_usage_error(cmd, "missing %s", cmd->operands);
    }
    return -1;
}

int cli_check_mode(const struct cli_cmd *cmd, const struct cli_args *a, size_t mode)
{
    for (size_t k = 0; k < cmd->n_opts; k++) {
        const struct cli_opt *o = &cmd->opts[k];
        if (!a->v[k].present || o->modes == 0 || (o->modes & 1u << mode))
            continue;
        char fits[160];
        modes_text(cmd, o->modes, fits, sizeof fits);
        const char *sel = cmd->modes[mode].selector;
        return cli_usage_error(cmd, "--%s goes %s, not %s%s%s%s", o->name, fits,
                               strncmp(sel, "--", 2) == 0 ? "with " : "", sel, o->hint ? "; " : "",
                               o->hint ? o->hint : "");
    }
    return -1;
}

int cli_mkdirs(const char *dir)
{
    char path[4096];
    const size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path) {
        errno = len ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        const char saved = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0755) != 0) {
            const int e = errno;
            if (e != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                errno = e == EEXIST ? ENOTDIR : e;
                return -1;
            }
        }
        path[i] = saved;
        while (path[i + 1] == '/')
            i++;
    }
    return 0;
}

int cli_output_dir(const struct cli_cmd *cmd, const char *opt, const char *path)
{
    if (cli_mkdirs(path) != 0)
        return cli_usage_error(cmd, "--%s: cannot create '%s': %s", opt, path, strerror(errno));
    char probe[4200];
    const int n = snprintf(probe, sizeof probe, "%s/.tekho-probe-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof probe)
        return cli_usage_error(cmd, "--%s: cannot write in '%s': %s", opt, path, strerror(ENAMETOOLONG));
    const int fd = mkstemp(probe);
    if (fd < 0)
        return cli_usage_error(cmd, "--%s: cannot write in '%s': %s", opt, path, strerror(errno));
    close(fd);
    unlink(probe);
    return -1;
}

int cli_output_file(const struct cli_cmd *cmd, const char *opt, const char *path, FILE **out)
{
    *out = NULL;
    char dir[4096];
    const size_t len = strlen(path);
    if (len >= sizeof dir)
        return cli_usage_error(cmd, "--%s: cannot write '%s': %s", opt, path, strerror(ENAMETOOLONG));
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (cli_mkdirs(dir) != 0)
            return cli_usage_error(cmd, "--%s: cannot create '%s': %s", opt, dir, strerror(errno));
    }
    if ((*out = fopen(path, "w")) == NULL)
        return cli_usage_error(cmd, "--%s: cannot write '%s': %s", opt, path, strerror(errno));
    return -1;
}

void cli_args_free(struct cli_args *args)
{
    for (size_t k = 0; k < CLI_MAX_OPTS; k++) {
        if (args->v[k].bytes != NULL) {
            OPENSSL_cleanse(args->v[k].bytes, args->v[k].len); /* may hold key material */
            free(args->v[k].bytes);
        }
        args->v[k].bytes = NULL;
    }
}

void cli_out_begin(struct cli_out *o, bool json, bool bare, FILE *to)
{
    o->json = json;
    o->bare = bare && !json;
    o->fields = 0;
    o->to = to;
    if (json)
        fputc('{', to);
}

static void field_name(struct cli_out *o, const char *name)
{
    if (o->json)
        fprintf(o->to, "%s\"%s\": ", o->fields ? ", " : "", name);
    else if (!o->bare)
        fprintf(o->to, "%s=", name);
    o->fields++;
}

static void field_end(struct cli_out *o)
{
    if (!o->json)
        fputc('\n', o->to);
}

void cli_out_hex(struct cli_out *o, const char *name, const uint8_t *bytes, size_t len)
{
    field_name(o, name);
    if (o->json)
        fputc('"', o->to);
    for (size_t i = 0; i < len; i++)
        fprintf(o->to, "%02x", bytes[i]);
    if (o->json)
        fputc('"', o->to);
    field_end(o);
}

void cli_out_num(struct cli_out *o, const char *name, uint64_t value)
{
    field_name(o, name);
    fprintf(o->to, "%llu", (unsigned long long)value);
    field_end(o);
}

void cli_out_double(struct cli_out *o, const char *name, double value)
{
    field_name(o, name);
    fprintf(o->to, "%.6g", value);
    field_end(o);
}

void cli_json_string(FILE *to, const char *value)
{
    fputc('"', to);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(to, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            fprintf(to, "\\u%04x", (unsigned char)*p);
        else
            fputc(*p, to);
    }
    fputc('"', to);
}

void cli_out_str(struct cli_out *o, const char *name, const char *value)
{
    field_name(o, name);
    if (!o->json)
        fputs(value, o->to);
    else
        cli_json_string(o->to, value);
    field_end(o);
}

void cli_out_bool(struct cli_out *o, const char *name, bool value)
{
    field_name(o, name);
    fputs(value ? "true" : "false", o->to);
    field_end(o);
}

void cli_out_raw(struct cli_out *o, const char *name, const char *json_value)
{
    field_name(o, name);
    fputs(json_value, o->to);
    field_end(o);
}

void cli_out_end(struct cli_out *o)
{
    if (o->json)
        fputs("}\n", o->to);
    fflush(o->to);
}

int cli_fail(const struct cli_cmd *cmd, bool json, const char *reason)
{
    if (json) {
        struct cli_out o;
        cli_out_begin(&o, true, false, stdout);
        cli_out_str(&o, "error", reason);
        cli_out_end(&o);
    }
    fprintf(stderr, "tekho %s: %s\n", cmd->name, reason);
    return CLI_EXIT_FAILED;
}
