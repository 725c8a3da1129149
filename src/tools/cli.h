/* The tekho command line: option parsing and output shared by every command. */
#ifndef TEKHO_TOOLS_CLI_H
#define TEKHO_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses: 0 success, 1 the operation itself failed (bad ICV, ...),
 * 2 the command line was wrong. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

/* CLI_MAC: a 6-byte MAC address, 12 hex digits with or without colons
 * (00:1b:11:c9:d5:0c as decode prints it, or 001b11c9d50c); stored as
 * CLI_HEX bytes. CLI_STR: text (a path, a URL), up to 4096 characters. */
enum cli_opt_kind { CLI_HEX, CLI_NUM, CLI_FLAG, CLI_CHOICE, CLI_MAC, CLI_STR };

struct cli_opt {
    const char *name;        /* without the leading "--" */
    enum cli_opt_kind kind;
    bool required;
    size_t min_len, max_len; /* CLI_HEX: byte length bounds */
    uint64_t min, max;       /* CLI_NUM: value bounds */
    const char *choices;     /* CLI_CHOICE: "ul|dl" */
    const char *help;
    bool secret;             /* CLI_HEX key material: also --NAME-file PATH (- for stdin),
                              * which keeps it off the command line other users can see */
};

/* Parsed values, in the same order as the option table. */
struct cli_value {
    bool present;
    uint8_t *bytes;          /* CLI_HEX, owned; CLI_STR: the text, NUL-terminated (len without it) */
    size_t len;
    uint64_t num;            /* CLI_NUM; CLI_CHOICE: index into choices */
};

#define CLI_MAX_OPTS 64

struct cli_cmd {
    const char *name;        /* "kdf", "pdu seal" */
    const char *synopsis;
    const char *description;
    const struct cli_opt *opts;
    size_t n_opts;
};

struct cli_args {
    struct cli_value v[CLI_MAX_OPTS];
    bool json;
};

/* Parses argv against cmd's table, adding --json and --help, and
 * --NAME-file PATH for each secret option: the hex read from PATH (- for
 * standard input), surrounding whitespace trimmed, validated as --NAME's
 * value is; a file that cannot be read is a usage error naming it. Returns
 * -1 when the command should go on, or an exit status (help printed: 0; a
 * one-line error printed: 2). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *out);
void cli_args_free(struct cli_args *args);
void cli_usage(const struct cli_cmd *cmd, FILE *to);
/* A one-line "tekho CMD: message" on stderr, returning CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Output: NAME=value lines, or one JSON object with the same names. */
struct cli_out {
    bool json;
    bool bare;       /* a single unnamed value on its own line */
    int fields;
    FILE *to;
};
void cli_out_begin(struct cli_out *o, bool json, bool bare, FILE *to);
void cli_out_hex(struct cli_out *o, const char *name, const uint8_t *bytes, size_t len);
void cli_out_num(struct cli_out *o, const char *name, uint64_t value);
void cli_out_double(struct cli_out *o, const char *name, double value);
void cli_out_str(struct cli_out *o, const char *name, const char *value);
/* true/false, in text and JSON alike. */
void cli_out_bool(struct cli_out *o, const char *name, bool value);
/* Raw JSON value (an object or array already formatted). */
void cli_out_raw(struct cli_out *o, const char *name, const char *json_value);
void cli_out_end(struct cli_out *o);

/* A failure of the operation itself: one line, exit 1 (JSON: {"error": ...}). */
int cli_fail(const struct cli_cmd *cmd, bool json, const char *reason);

int cli_hex_decode(const char *text, uint8_t **out, size_t *out_len);
int cli_parse_number(const char *text, uint64_t *out);

int cmd_kdf(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_tek(int argc, char **argv);
int cmd_pdu(int argc, char **argv);
int cmd_tek_wrap(int argc, char **argv);
int cmd_tek_unwrap(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explore(int argc, char **argv);

#endif
