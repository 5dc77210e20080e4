/*
 * The C side of tests/interop_c_broadcast.rs: joins a Broadcast<Sample, N> that the
 * Rust test created, through include/sysv_ipc_layout.h and include/sysv_ipc_protocol.h
 * only.
 *
 *   bc_peer read <key> <n> <cap> <readers> <policy>   joins at the newest, prints
 *                                   "joined <seat>", receives (blocking) and checks samples
 *                                   until the end of the stream, prints
 *                                   "got <values> missed <missed> sum <sum>"
 *   bc_peer write <key> <n> <cap> <readers> <policy>  sends samples 0..n-1 (parking
 *                                   while a lossless ring is full), closes, prints
 *                                   "sent parks <parks> wakes <parks a post ended>"
 *   bc_peer write-word ...          the same, each sample once reader 0 waits on its
 *                                   line's word (SVIPC_WAITING_WORD)
 *   bc_peer refuse <key> <cap> <readers> <policy>     joins with wrong shapes (each
 *                                   refused), prints "refused"
 *
 * A sample is a function of its sequence number, so each side checks every byte.
 * A failure is a message on stderr and exit status 1; alarm() bounds every run.
 */
#define _GNU_SOURCE
#include "sysv_ipc_protocol.h"

#include <stdio.h>
#include <stdlib.h>

/* `Sample` in tests/interop_c_broadcast.rs. */
struct sample {
    uint64_t seq;
    uint64_t square;
    uint32_t tag;
    uint32_t pad;
};

static struct sample make_sample(uint64_t k) {
    struct sample s = {.seq = k, .square = k * k ^ UINT64_C(0x5555), .tag = (uint32_t)(k * 7), .pad = 0};
    return s;
}

static struct svipc_type sample_type(void) {
    return SVIPC_TYPE(svipc_type_id("sysv-ipc interop::Sample v1"), struct sample);
}

static void fail(const char *what, int r) {
    fprintf(stderr, "bc_peer: %s: %s (%d), errno %d\n", what, svipc_strerror(r), r, errno);
    exit(1);
}

int main(int argc, char **argv) {
    alarm(60);
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    if ((strcmp(mode, "read") == 0 || strcmp(mode, "write") == 0 ||
         strcmp(mode, "write-word") == 0) &&
        argc == 7) {
        key_t key = (key_t)strtol(argv[2], NULL, 0);
        uint64_t n = strtoull(argv[3], NULL, 0), cap = strtoull(argv[4], NULL, 0);
        uint64_t readers = strtoull(argv[5], NULL, 0), policy = strtoull(argv[6], NULL, 0);
        struct svipc_bc b;
        int r = svipc_bc_open(&b, key, sample_type(), cap, readers, policy, 1000);
        if (r != SVIPC_OK)
            fail("open", r);
        if (mode[0] == 'r') {
            if ((r = svipc_bc_reader(&b, 1)) != SVIPC_OK)
                fail("reader", r);
            printf("joined %llu\n", (unsigned long long)b.index);
            fflush(stdout);
            uint64_t next = b.own, got = 0, missed = 0, sum = 0;
            for (;;) {
                struct sample s;
                r = svipc_bc_recv_wait(&b, &s, SVIPC_DEFAULT_SPINS, NULL);
                if (r == SVIPC_E_CLOSED)
                    break;
                if (r == SVIPC_E_LAGGED) {
                    next += b.missed;
                    missed += b.missed;
                    continue;
                }
                if (r != SVIPC_OK)
                    fail("recv", r);
                struct sample want = make_sample(next);
                if (memcmp(&s, &want, sizeof s) != 0) {
                    fprintf(stderr, "bc_peer: sample %llu: got seq %llu\n",
                            (unsigned long long)next, (unsigned long long)s.seq);
                    return 1;
                }
                sum += s.seq;
                next++;
                got++;
            }
            printf("got %llu missed %llu sum %llu\n", (unsigned long long)got,
                   (unsigned long long)missed, (unsigned long long)sum);
        } else {
            if ((r = svipc_bc_writer(&b, 0)) != SVIPC_OK)
                fail("writer", r);
            for (uint64_t k = 0; k < n;) {
                /* write-word: each sample only once reader 0 waits on its line's word
                 * (an asynchronous waiter), which this send must futex-wake. */
                if (strcmp(mode, "write-word") == 0)
                    while (atomic_load_explicit(&svipc_bc_line_(&b, 0)->wait,
                                                memory_order_relaxed) != SVIPC_WAITING_WORD)
                        nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
                struct sample s = make_sample(k);
                struct timespec limit = {.tv_sec = 30};
                if ((r = svipc_bc_send_wait(&b, &s, SVIPC_DEFAULT_SPINS, &limit)) != SVIPC_OK)
                    fail("send_wait", r);
                k++;
            }
            if ((r = svipc_bc_writer_close(&b)) != SVIPC_OK)
                fail("close", r);
            printf("sent parks %llu wakes %llu\n", (unsigned long long)b.parks,
                   (unsigned long long)b.wakes);
        }
        svipc_bc_close(&b);
        return 0;
    }
    if (strcmp(mode, "refuse") == 0 && argc == 6) {
        key_t key = (key_t)strtol(argv[2], NULL, 0);
        uint64_t cap = strtoull(argv[3], NULL, 0), readers = strtoull(argv[4], NULL, 0);
        uint64_t policy = strtoull(argv[5], NULL, 0);
        struct svipc_bc b;
        struct {
            uint64_t cap, readers, policy;
            const char *field;
        } wrong[] = {
            {cap * 2, readers, policy, "capacity"},
            {cap, readers + 1, policy, "total_size"},
            {cap, readers, 1 - policy, "policy"},
        };
        for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
            int r = svipc_bc_open(&b, key, sample_type(), wrong[i].cap, wrong[i].readers,
                                  wrong[i].policy, 100);
            if (r != SVIPC_E_MISMATCH || strcmp(b.mismatch, wrong[i].field) != 0) {
                fprintf(stderr, "bc_peer: %s: %s, field %s\n", wrong[i].field, svipc_strerror(r),
                        b.mismatch ? b.mismatch : "-");
                return 1;
            }
        }
        struct svipc_queue q;
        int r = svipc_queue_open(&q, key, sample_type(), cap, 100);
        if (r != SVIPC_E_MISMATCH || strcmp(q.mismatch, "kind") != 0)
            fail("open as a queue", r);
        printf("refused\n");
        return 0;
    }
    fprintf(stderr, "bc_peer: bad arguments\n");
    return 2;
}
