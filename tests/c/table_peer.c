/*
 * The C side of tests/interop_c_table.rs: a C program that joins a Table<Cell, N>
 * that the Rust test created, through the generated include/sysv_ipc_layout.h and
 * the hand-written include/sysv_ipc_protocol.h only.
 *
 *   table_peer read <key> <n> <rounds>    joins read-only (and refuses other shapes),
 *                                         follows changed_since, reads each changed
 *                                         slot, and reads slot 0 (which the writer
 *                                         keeps rewriting) over and over, until every
 *                                         slot holds round <rounds>
 *   table_peer write <key> <n> <rounds>   waits for "go" on stdin, takes the writer
 *                                         role, writes rounds 1..<rounds> of every slot
 *
 * A cell is a pure function of its round and slot, computed the same way on both
 * sides, so each side checks every byte it reads. Results go to stdout, one line
 * each; a failure is a message on stderr and exit status 1. alarm() bounds every run.
 */
#define _GNU_SOURCE
#include "sysv_ipc_protocol.h"

#include <stdio.h>
#include <stdlib.h>

/* `Cell` in tests/interop_c_table.rs (#[repr(C)]): 64 bytes. */
struct cell {
    uint64_t round;
    uint64_t slot;
    uint64_t data[5];
    uint64_t check;
};
_Static_assert(sizeof(struct cell) == 64, "cell: 64 bytes");
#define CELL_NAME "sysv-ipc interop::Cell v1"

static uint64_t cell_sum(const struct cell *c) {
    uint64_t h = SVIPC_FNV1A64_BASIS;
    uint64_t words[7] = {c->round, c->slot, c->data[0], c->data[1], c->data[2], c->data[3],
                         c->data[4]};
    for (int i = 0; i < 7; i++)
        h = (h ^ words[i]) * SVIPC_FNV1A64_PRIME;
    return h;
}

static struct cell make_cell(uint64_t round, uint64_t slot) {
    struct cell c = {.round = round, .slot = slot};
    for (uint64_t j = 0; j < 5; j++)
        c.data[j] = (round * UINT64_C(0x9e3779b97f4a7c15)) ^ (slot << 8 | j);
    c.check = cell_sum(&c);
    return c;
}

static void fail(const char *what, int r) {
    fprintf(stderr, "table_peer: %s: %s (errno %d)\n", what, svipc_strerror(r), errno);
    exit(1);
}

static struct svipc_type cell_type(void) {
    return SVIPC_TYPE(svipc_type_id(CELL_NAME), struct cell);
}

/* Slots reported by changed_since, and how many. */
struct marks {
    unsigned char *changed;
    uint64_t reports;
};

static void mark(void *ctx, uint64_t i) {
    struct marks *m = ctx;
    m->changed[i] = 1;
    m->reports++;
}

static int read_table(const char *key_arg, uint64_t n, uint64_t rounds) {
    key_t key = (key_t)strtol(key_arg, NULL, 0);
    struct svipc_table tb;
    /* Other shapes are refused, naming the header field. */
    int r = svipc_table_open(&tb, key, cell_type(), n + 1, 1, 1000);
    printf("n+1 %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? tb.mismatch : "-");
    r = svipc_table_open(&tb, key, SVIPC_TYPE(svipc_type_id("other"), struct cell), n, 1, 1000);
    printf("other type %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? tb.mismatch : "-");
    struct svipc_seqlock s;
    r = svipc_seqlock_open(&s, key, cell_type(), 1000);
    printf("as seqlock %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? s.mismatch : "-");
    r = svipc_table_open(&tb, key, cell_type(), n, 1, 1000);
    if (r != SVIPC_OK)
        fail("open", r);
    printf("writer on a read-only handle %s\n", svipc_strerror(svipc_table_writer(&tb, 0)));
    printf("ready\n");
    fflush(stdout);
    unsigned char *changed = calloc(n, 1);
    uint64_t *last = calloc(n, sizeof *last);
    if (changed == NULL || last == NULL)
        fail("calloc", SVIPC_E_SYS);
    struct marks m = {changed, 0};
    uint64_t since = 0, reads = 0, at_end = 0, busy = 0, hot = 0;
    while (at_end < n) {
        /* Slot 0 is the one the Rust writer keeps rewriting: reads of it race it. */
        for (int k = 0; k < 64; k++) {
            struct cell got;
            uint64_t version;
            r = svipc_table_read(&tb, 0, &got, SVIPC_TABLE_DEFAULT_ATTEMPTS, &version);
            if (r == SVIPC_E_BUSY || (r == SVIPC_OK && version == 0))
                continue; /* mid-write for every attempt; never written yet */
            if (r != SVIPC_OK)
                fail("read", r);
            struct cell want = make_cell(got.round, 0);
            if (memcmp(&got, &want, sizeof got) != 0) {
                fprintf(stderr, "table_peer: slot 0: torn or foreign cell of round %llu\n",
                        (unsigned long long)got.round);
                exit(1);
            }
            hot++;
        }
        memset(changed, 0, n);
        since = svipc_table_changed_since(&tb, since, mark, &m);
        for (uint64_t i = 0; i < n; i++) {
            if (!changed[i])
                continue;
            struct cell got;
            uint64_t version;
            r = svipc_table_read(&tb, i, &got, SVIPC_TABLE_DEFAULT_ATTEMPTS, &version);
            if (r == SVIPC_E_BUSY) {
                /* A writer preempted mid-write: look again at the next query. */
                busy++;
                since = 0;
                continue;
            }
            if (r != SVIPC_OK)
                fail("read", r);
            reads++;
            struct cell want = make_cell(got.round, i);
            if (memcmp(&got, &want, sizeof got) != 0 || version == 0) {
                fprintf(stderr, "table_peer: slot %llu: torn or foreign cell of round %llu\n",
                        (unsigned long long)i, (unsigned long long)got.round);
                exit(1);
            }
            if (got.round < last[i]) {
                fprintf(stderr, "table_peer: slot %llu went back\n", (unsigned long long)i);
                exit(1);
            }
            if (got.round == rounds && last[i] != rounds)
                at_end++;
            last[i] = got.round;
        }
    }
    printf("slots %llu at round %llu, reads>=slots %d, reports>=slots %d, hot reads>0 %d\n",
           (unsigned long long)n, (unsigned long long)rounds, reads >= n, m.reports >= n,
           hot > 0);
    free(changed);
    free(last);
    svipc_table_close(&tb);
    return 0;
}

/* Rust holds the writer role until it answers "go" on stdin; then this process
 * takes it, writes rounds 1..rounds of every slot, and releases it. */
static int write_table(const char *key_arg, uint64_t n, uint64_t rounds) {
    key_t key = (key_t)strtol(key_arg, NULL, 0);
    struct svipc_table tb;
    int r = svipc_table_open(&tb, key, cell_type(), n, 0, 1000);
    if (r != SVIPC_OK)
        fail("open", r);
    printf("writer %s\n", svipc_strerror(svipc_table_writer(&tb, 0)));
    printf("waiting\n");
    fflush(stdout);
    char line[16];
    if (fgets(line, sizeof line, stdin) == NULL || strcmp(line, "go\n") != 0)
        fail("no go on stdin", SVIPC_E_ARG);
    r = svipc_table_writer(&tb, 0);
    if (r != SVIPC_OK)
        fail("writer", r);
    uint64_t first = 0, version = 0;
    for (uint64_t round = 1; round <= rounds; round++) {
        for (uint64_t i = 0; i < n; i++) {
            struct cell c = make_cell(round, i);
            r = svipc_table_write(&tb, i, &c, &version);
            if (r != SVIPC_OK)
                fail("write", r);
            if (first == 0)
                first = version;
        }
    }
    struct cell c = make_cell(0, 0);
    printf("write past the end %s\n", svipc_strerror(svipc_table_write(&tb, n, &c, NULL)));
    printf("wrote %llu rounds, versions %llu to %llu, table version %llu\n",
           (unsigned long long)rounds, (unsigned long long)first, (unsigned long long)version,
           (unsigned long long)svipc_table_version(&tb));
    svipc_table_close(&tb);
    return 0;
}

int main(int argc, char **argv) {
    alarm(30);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *cmd = argc > 1 ? argv[1] : "";
    if (argc == 5 && strcmp(cmd, "read") == 0)
        return read_table(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
    if (argc == 5 && strcmp(cmd, "write") == 0)
        return write_table(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
    fprintf(stderr, "usage: see the comment at the top of table_peer.c\n");
    return 2;
}
