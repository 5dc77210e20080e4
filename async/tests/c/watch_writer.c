/* A C writer for the watch interop tests (async/tests/seqlock.rs, table.rs):
 * joins a SeqLock<u64> or a Table<u64, n> that Rust created, takes the writer
 * role, and for every "go" line on stdin writes the next value (1, 2, ...) and
 * prints "wrote k". The protocol's writes run the wake check that wakes Rust's
 * watchers (layout version 7).
 *
 *   watch_writer seqlock KEY TYPE_ID
 *   watch_writer table KEY TYPE_ID N
 */
#define _GNU_SOURCE
#include "sysv_ipc_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, int r) {
    fprintf(stderr, "%s: %s\n", what, svipc_strerror(r));
    exit(1);
}

int main(int argc, char **argv) {
    alarm(60);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 4) {
        fprintf(stderr, "usage: see the comment at the top of watch_writer.c\n");
        return 2;
    }
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    struct svipc_type t = SVIPC_TYPE(strtoull(argv[3], NULL, 0), uint64_t);
    int table = strcmp(argv[1], "table") == 0;
    struct svipc_seqlock s;
    struct svipc_table tb;
    int r;
    if (table) {
        if (argc != 5)
            return 2;
        uint64_t n = strtoull(argv[4], NULL, 0);
        r = svipc_table_open(&tb, key, t, n, 0, 1000);
        if (r != SVIPC_OK)
            fail("open", r);
        r = svipc_table_writer(&tb, 0);
    } else {
        r = svipc_seqlock_open(&s, key, t, 1000);
        if (r != SVIPC_OK)
            fail("open", r);
        r = svipc_seqlock_writer(&s, 0);
    }
    if (r != SVIPC_OK)
        fail("writer", r);
    printf("writer\n");
    char line[16];
    for (uint64_t k = 1; fgets(line, sizeof line, stdin) != NULL; k++) {
        if (strcmp(line, "go\n") != 0)
            fail("expected go", SVIPC_E_ARG);
        r = table ? svipc_table_write(&tb, k % tb.n, &k, NULL) : svipc_seqlock_write(&s, &k);
        if (r != SVIPC_OK)
            fail("write", r);
        printf("wrote %llu\n", (unsigned long long)k);
    }
    if (table)
        svipc_table_close(&tb);
    else
        svipc_seqlock_close(&s);
    return 0;
}
