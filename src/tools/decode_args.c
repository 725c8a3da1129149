/* decode_args.h */
#include "decode_args.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tekho/roles.h"

#define PATH_CAP 4096

/* Creates or truncates path, mode 0600 whatever it was before, and writes
 * text with write(2), so that no stdio buffer keeps a copy of a secret. A
 * symbolic link is refused rather than followed. */
static tekho_err write_private(const char *path, const char *text, size_t len, int *os_err)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *os_err = errno;
        return TEKHO_ERR_IO;
    }
    tekho_err err = fchmod(fd, 0600) == 0 ? TEKHO_OK : TEKHO_ERR_IO;
    for (size_t done = 0; err == TEKHO_OK && done < len;) {
        const ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            err = TEKHO_ERR_IO;
        else
            done += (size_t)n;
    }
    if (err != TEKHO_OK)
        *os_err = errno;
    if (close(fd) != 0 && err == TEKHO_OK) {
        *os_err = errno;
        err = TEKHO_ERR_IO;
    }
    return err;
}

static int fail(const char *path, const char *reason)
{
    fprintf(stderr, "tekho sim: %s: %s\n", path, reason);
    return CLI_EXIT_FAILED;
}

static void put_hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0F];
    }
}

int decode_args_write(struct tekho_sim *sim, const char *dir)
{
    /* An absolute path, so the arguments work from any directory. */
    char abs_dir[PATH_CAP], path[PATH_CAP];
    if (dir[0] == '/') {
        if (snprintf(abs_dir, sizeof abs_dir, "%s", dir) >= (int)sizeof abs_dir)
            return fail(dir, "path too long");
    } else {
        char cwd[PATH_CAP];
        if (getcwd(cwd, sizeof cwd) == NULL)
            return fail(dir, strerror(errno));
        if (snprintf(abs_dir, sizeof abs_dir, "%s/%s", cwd, dir) >= (int)sizeof abs_dir)
            return fail(dir, "path too long");
    }
    if (strpbrk(abs_dir, " \t\n*?[") != NULL)
        fprintf(stderr, "tekho sim: warning: %s has blanks or wildcards: $(cat .../decode-args) will not keep "
                        "its path whole; pass --msk-file with the path quoted\n", abs_dir);

    /* Every MSK MS 0 held: the entry one, then one per re-authentication. */
    uint8_t(*msks)[64] = calloc(DECODE_MAX_MSKS, sizeof *msks);
    char *hex = calloc(1, DECODE_MAX_MSKS * 128 + 2);
    size_t n_msks = 0;
    tekho_err err = msks && hex ? tekho_sim_ms_msks(sim, 0, msks, DECODE_MAX_MSKS, &n_msks) : TEKHO_ERR_NO_MEMORY;
    size_t hex_len = 0;
    for (size_t i = 0; err == TEKHO_OK && i < n_msks && i < DECODE_MAX_MSKS; i++, hex_len += 128)
        put_hex(hex + hex_len, msks[i], 64);
    if (hex != NULL)
        hex[hex_len++] = '\n';
    int os_err = 0;
    if (err == TEKHO_OK && snprintf(path, sizeof path, "%s/msk", abs_dir) >= (int)sizeof path)
        err = TEKHO_ERR_BAD_VALUE;
    else if (err == TEKHO_OK)
        err = write_private(path, hex, hex_len, &os_err);
    if (msks != NULL)
        OPENSSL_cleanse(msks, DECODE_MAX_MSKS * sizeof *msks);
    if (hex != NULL)
        OPENSSL_cleanse(hex, DECODE_MAX_MSKS * 128 + 2);
    free(msks);
    free(hex);
    if (err != TEKHO_OK)
        return fail(err == TEKHO_ERR_IO ? path : dir, err == TEKHO_ERR_IO ? strerror(os_err) : tekho_strerror(err));
    if (n_msks > DECODE_MAX_MSKS)
        fprintf(stderr, "tekho sim: warning: MS 0 held %zu MSKs, decode takes the first %d: CMACs under later ones "
                        "will show as bad\n", n_msks, DECODE_MAX_MSKS);

    /* The MS, every BSID of the run and the SAID (the MS's basic CID). */
    uint8_t mac[6];
    tekho_ms_mac_of_index(0, mac);
    char bsids[DECODE_MAX_BSIDS * 12 + 1] = "";
    size_t n_bs = 0;
    for (uint32_t node = 1; tekho_sim_bs(sim, node) != NULL; node++, n_bs++) {
        if (n_bs == DECODE_MAX_BSIDS) {
            fprintf(stderr, "tekho sim: warning: decode takes %d BSIDs, the run has more: CMACs at later BSs "
                            "will show as bad\n", DECODE_MAX_BSIDS);
            break;
        }
        uint8_t bsid[6];
        tekho_bs_bsid(tekho_sim_bs(sim, node), bsid);
        put_hex(bsids + 12 * n_bs, bsid, 6);
    }
    bsids[12 * n_bs] = '\0';
    char line[PATH_CAP + 256];
    const int len = snprintf(line, sizeof line,
                             "--msk-file %s/msk --ms-mac %02x:%02x:%02x:%02x:%02x:%02x --bsid %s --said %u\n", abs_dir,
                             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], bsids, (unsigned)tekho_ms_basic_cid(0));
    if (len < 0 || len >= (int)sizeof line ||
        snprintf(path, sizeof path, "%s/decode-args", abs_dir) >= (int)sizeof path)
        return fail(dir, "path too long");
    if (write_private(path, line, (size_t)len, &os_err) != TEKHO_OK)
        return fail(path, strerror(os_err));
    return CLI_EXIT_OK;
}
