/* The tekho command line: option parsing and output shared by every command. */
#ifndef TEKHO_TOOLS_CLI_H
#define TEKHO_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses: 0 success, 1 the operation itself failed (bad ICV, ...),
 * 2 the command line was wrong: an unknown or malformed option, an option
 * that does not fit the chosen mode, or a path an option names that cannot
 * be read (key files) or created and written (--report, --pcap, --trace,
 * --save), all found before any work starts. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

/* CLI_MAC: a 6-byte MAC address, 12 hex digits with or without colons
 * (00:1b:11:c9:d5:0c as decode prints it, or 001b11c9d50c); stored as
 * CLI_HEX bytes. CLI_STR: text (a path, a URL, a list), up to 4096
 * characters. CLI_REAL: a decimal number without sign or exponent (0.5,
 * 12, 2.25). */
enum cli_opt_kind { CLI_HEX, CLI_NUM, CLI_FLAG, CLI_CHOICE, CLI_MAC, CLI_STR, CLI_REAL };

struct cli_opt {
    const char *name;        /* without the leading "--" */
    enum cli_opt_kind kind;
    bool required;
    size_t min_len, max_len; /* CLI_HEX: byte length bounds */
    uint64_t min, max;       /* CLI_NUM: value bounds */
    double rmin, rmax;       /* CLI_REAL: value bounds */
    const char *choices;     /* CLI_CHOICE: "ul|dl" */
    const char *help;
    bool secret;             /* CLI_HEX key material: also --NAME-file PATH (- for stdin),
                              * which keeps it off the command line other users can see */
    const char *arg;         /* the value's name in the help ("DIR", "hex:N"); NULL: by kind */
    unsigned modes;          /* the command's modes it fits (bit k: cmd->modes[k]); 0: every one */
    const char *hint;        /* added when it is refused in another mode ("did you mean --schemes?") */
    char short_name;         /* also -C VALUE or -CVALUE ('j': -j 2, -j2, as make takes it); 0: none */
};

/* Parsed values, in the same order as the option table. */
struct cli_value {
    bool present;
    uint8_t *bytes;          /* CLI_HEX, owned; CLI_STR: the text, NUL-terminated (len without it) */
    size_t len;
    uint64_t num;            /* CLI_NUM; CLI_CHOICE: index into choices */
    double real;             /* CLI_REAL; CLI_NUM too, converted */
};

#define CLI_MAX_OPTS 96
#define CLI_MAX_OPERANDS 256

/* A mode of a command: what selects it ("--topology"), for the help and
 * for refusing an option that does not fit it. */
struct cli_mode {
    const char *name;        /* "emulator" */
    const char *selector;    /* "--topology" */
};

struct cli_cmd {
    const char *name;        /* "kdf", "pdu seal" */
    const char *synopsis;
    const char *description;
    const struct cli_opt *opts;
    size_t n_opts;
    /* Arguments that are not options (not starting with "--"): their
     * name in the help ("FILE.pcap") and how many there may be. */
    const char *operands;
    size_t min_operands, max_operands;
    const struct cli_mode *modes;
    size_t n_modes;
    const char *epilog;      /* printed after the options, NULL: nothing */
};

struct cli_args {
    struct cli_value v[CLI_MAX_OPTS];
    bool json;
    const char *operands[CLI_MAX_OPERANDS]; /* argv's strings, in order */
    size_t n_operands;
};

/* Parses argv against cmd's table, adding --json and --help, and
 * --NAME-file PATH for each secret option: the hex read from PATH (- for
 * standard input), surrounding whitespace trimmed, validated as --NAME's
 * value is; a file that cannot be read is a usage error naming it. Every
 * option takes its value as --NAME VALUE or --NAME=VALUE, one with a
 * short_name also as -C VALUE or -CVALUE. An argument of a dash and a
 * letter is always an option (-h is --help); "-" and "-5" are operands.
 * An unknown option is refused with the nearest known name as a hint.
 * Returns -1 when the command should go on, or an exit status (help
 * printed: 0; a one-line error printed: 2). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *out);
void cli_args_free(struct cli_args *args);
void cli_usage(const struct cli_cmd *cmd, FILE *to);
/* A one-line "tekho CMD: message" on stderr, returning CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Refuses (usage error) the first option given that does not fit mode
 * (an index into cmd->modes): "--scheme goes with --scenario, not with
 * --topology; did you mean --schemes?". Returns -1 when all fit. */
int cli_check_mode(const struct cli_cmd *cmd, const struct cli_args *a, size_t mode);

/* Output paths, checked before any work: the directory path (--report,
 * --pcap, --save) is created with its parents and a file is created in it
 * and removed again; the file path (--trace) has its parents created and is
 * opened for writing (*out). A failure is a usage error naming the option,
 * the path and the reason: "--report: cannot create 'x/y': Permission
 * denied". Return -1 to go on. */
int cli_output_dir(const struct cli_cmd *cmd, const char *opt, const char *path);
int cli_output_file(const struct cli_cmd *cmd, const char *opt, const char *path, FILE **out);
/* Creates dir and its missing parents (0755); 0, or -1 with errno. */
int cli_mkdirs(const char *dir);

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
/* value as a JSON string, quoted and escaped. */
void cli_json_string(FILE *to, const char *value);
/* Raw JSON value (an object or array already formatted). */
void cli_out_raw(struct cli_out *o, const char *name, const char *json_value);
void cli_out_end(struct cli_out *o);

/* A failure of the operation itself: one line, exit 1 (JSON: {"error": ...}). */
int cli_fail(const struct cli_cmd *cmd, bool json, const char *reason);

/* One option's value, as cli_parse takes it (without --NAME-file): 0 and
 * *v set (present; bytes owned by v: cli_args_free frees them as part of
 * its struct cli_args), or -1 with the message the command line prints
 * ("--air-loss: out of range 0..100: '150'") in err[0 .. cap), cut to fit.
 * Also for values that come from elsewhere (a daemon's config file). */
int cli_parse_value(const struct cli_opt *o, const char *text, struct cli_value *v, char *err, size_t cap);
/* The index of option name[0 .. name_len) in cmd's table, or cmd->n_opts. */
size_t cli_find_option(const struct cli_cmd *cmd, const char *name, size_t name_len);
/* The known option nearest to name (at most 2 edits, or one a prefix of
 * the other; json and help are candidates), or NULL. */
const char *cli_nearest_option(const struct cli_cmd *cmd, const char *name, size_t name_len);

int cli_hex_decode(const char *text, uint8_t **out, size_t *out_len);
int cli_parse_number(const char *text, uint64_t *out);
/* A decimal number, digits with at most one '.', no sign or exponent. */
int cli_parse_real(const char *text, double *out);

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
int cmd_authd(int argc, char **argv);
int cmd_bsd(int argc, char **argv);
int cmd_msd(int argc, char **argv);
int cmd_testbed(int argc, char **argv);
int cmd_creds(int argc, char **argv);
int cmd_explore(int argc, char **argv);
/* Hidden (not in tekho --help): a daemon's --results file printed, for tests. */
int cmd_results(int argc, char **argv);

#endif
