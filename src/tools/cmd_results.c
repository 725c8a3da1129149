/* tekho results FILE: a daemon's --results file (daemon.h) as NAME=value
 * lines or JSON, for tests (tests/test_daemon_fuzz.sh). Hidden: not in
 * tekho --help's list; the file is of this build's daemons only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"

int cmd_results(int argc, char **argv)
{
    const struct cli_cmd cmd = {
        .name = "results",
        .synopsis = "tekho results FILE [--json]",
        .description = "The counters and statistics a daemon (tekho authd, bsd, msd --results FILE) wrote when it "
                       "stopped, one NAME=value line each. For tests: the file is of this build's daemons only.",
        .operands = "FILE",
        .min_operands = 1,
        .max_operands = 1,
    };
    struct cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct daemon_results r;
    if (daemon_results_read(a.operands[0], &r) != 0) {
        char why[4300];
        snprintf(why, sizeof why, "%s: %s", a.operands[0],
                 errno == EINVAL ? "not a results file of this build" : strerror(errno));
        rc = cli_fail(&cmd, a.json, why);
        cli_args_free(&a);
        return rc;
    }
    struct cli_out o;
    cli_out_begin(&o, a.json, false, stdout);
    const struct daemon_counters *c = &r.c;
#define C(f) cli_out_num(&o, #f, c->f)
    C(air_in), C(air_out), C(air_bad), C(air_send_errors), C(backbone_in), C(backbone_out), C(backbone_bad),
        C(backbone_unroutable), C(frame_timing_errors), C(dtls_handshakes_ok), C(dtls_handshakes_failed),
        C(dtls_cookie_exchanges), C(dtls_half_open_dropped), C(dtls_garbage_dropped), C(dtls_records_in),
        C(dtls_records_out);
#undef C
    const struct tekho_sim_stats *s = &r.st;
#define S(f) cli_out_num(&o, #f, s->f)
    S(attempted), S(completed), S(cancelled), S(failed), S(executed), S(connections_released), S(new_pmks),
        S(pdus_discarded),
        S(user_pdus_delivered), S(user_pdus_offered), S(air_messages), S(backbone_messages), S(events);
    /* the invariants: every one must stay 0 */
    S(pn_reuse), S(replayed_pdus_accepted), S(forged_pdus_accepted), S(tek_mismatch_after_ho), S(m_decreased),
        S(n_decreased), S(stale_count_keys), S(role_errors), S(io_errors);
#undef S
    cli_out_num(&o, "samples_ul", r.n[TEKHO_SIM_UL]);
    cli_out_num(&o, "samples_dl", r.n[TEKHO_SIM_DL]);
    cli_out_num(&o, "samples_union", r.n[TEKHO_SIM_UNION]);
    cli_out_end(&o);
    daemon_results_free(&r);
    cli_args_free(&a);
    return CLI_EXIT_OK;
}
