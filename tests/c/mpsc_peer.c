/*
 * The C side of tests/interop_c_mpsc.rs: joins an Mpsc<Msg, N> that the Rust test
 * created, through include/sysv_ipc_layout.h and include/sysv_ipc_protocol.h only.
 *
 *   mpsc_peer send <key> <cap> <P> <id> <count> <after_park>
 *                 joins as a producer, prints "joined <entry>", sends messages
 *                 (id, 0..count-1) with send_wait; with after_park = 1 it first waits
 *                 until the consumer is parked (GETNCNT of its wake semaphore) or
 *                 another producer has sent; with 2, until the consumer waits on its
 *                 word (consumer_waiting holds SVIPC_WAITING_WORD). Prints "sent <count> parks <parks>
 *                 wakes <parks a post ended> saw_park <0 or 1>"
 *   mpsc_peer recv <key> <cap> <P> <count>
 *                 takes the consumer role, prints "joined", receives count messages
 *                 with recv_wait (each producer's in order, every byte checked),
 *                 prints "got <count> abandoned <n> parks <parks> wakes <wakes>
 *                 sum <sum of seq>"
 *   mpsc_peer stall <key> <cap> <P>
 *                 joins as a producer, claims a position, prints "claimed <pos>" and
 *                 stops itself (SIGSTOP) before publishing: the test SIGKILLs it
 *   mpsc_peer refuse <key> <cap> <P>
 *                 joins with another capacity, producer count, type size and type id,
 *                 and as a Queue and a Broadcast (each refused), prints "refused"
 *
 * A failure is a message on stderr and exit status 1; alarm() bounds every run.
 */
#define _GNU_SOURCE
#include "sysv_ipc_protocol.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* `Msg` in tests/interop_c_mpsc.rs. */
struct msg {
    uint64_t producer;
    uint64_t seq;
    uint64_t check;
};

/* Another type of another size, for the refusals. */
struct wide {
    uint64_t w[4];
};

static struct msg make_msg(uint64_t producer, uint64_t seq) {
    struct msg m = {.producer = producer,
                    .seq = seq,
                    .check = seq * UINT64_C(0x9e3779b97f4a7c15) ^ producer};
    return m;
}

static struct svipc_type msg_type(void) {
    return SVIPC_TYPE(svipc_type_id("sysv-ipc interop::Msg v1"), struct msg);
}

static void fail(const char *what, int r) {
    fprintf(stderr, "mpsc_peer: %s: %s (%d), errno %d\n", what, svipc_strerror(r), r, errno);
    exit(1);
}

static void open_or_fail(struct svipc_mpsc *m, char **argv) {
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    uint64_t cap = strtoull(argv[3], NULL, 0), p = strtoull(argv[4], NULL, 0);
    int r = svipc_mpsc_open(m, key, msg_type(), cap, p, 1000);
    if (r != SVIPC_OK)
        fail("open", r);
}

/* Whether the consumer is parked on its wake semaphore. */
static int consumer_parked(struct svipc_mpsc *m) {
    return semctl(m->semid, (int)SVIPC_MPSC_SEM_CONSUMER_WAKE(m->producers), GETNCNT) > 0;
}

int main(int argc, char **argv) {
    alarm(60);
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    struct svipc_mpsc m;
    if (strcmp(mode, "send") == 0 && argc == 8) {
        open_or_fail(&m, argv);
        uint64_t id = strtoull(argv[5], NULL, 0), count = strtoull(argv[6], NULL, 0);
        int after_park = atoi(argv[7]), saw_park = 0;
        int r = svipc_mpsc_producer(&m);
        if (r != SVIPC_OK)
            fail("producer", r);
        printf("joined %llu\n", (unsigned long long)m.index);
        fflush(stdout);
        while (after_park) {
            /* after_park 2: the consumer waits on its word (an asynchronous
             * waiter), which our first send must futex-wake. */
            if (after_park == 2 ? atomic_load_explicit(&m.ctl->consumer_waiting,
                                                       memory_order_relaxed) == SVIPC_WAITING_WORD
                                : consumer_parked(&m)) {
                saw_park = 1;
                break;
            }
            /* Relaxed: only a start signal; the protocol does not depend on it. */
            if (atomic_load_explicit(&m.ctl->tail, memory_order_relaxed) != 0)
                break;
            nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        struct timespec limit = {.tv_sec = 30};
        for (uint64_t k = 0; k < count; k++) {
            struct msg v = make_msg(id, k);
            if ((r = svipc_mpsc_send_wait(&m, &v, SVIPC_DEFAULT_SPINS, &limit)) != SVIPC_OK)
                fail("send_wait", r);
        }
        printf("sent %llu parks %llu wakes %llu saw_park %d\n", (unsigned long long)count,
               (unsigned long long)m.parks, (unsigned long long)m.wakes, saw_park);
        svipc_mpsc_close(&m);
        return 0;
    }
    if (strcmp(mode, "recv") == 0 && argc == 6) {
        open_or_fail(&m, argv);
        uint64_t count = strtoull(argv[5], NULL, 0);
        int r = svipc_mpsc_consumer(&m, 0);
        if (r != SVIPC_OK)
            fail("consumer", r);
        printf("joined\n");
        fflush(stdout);
        uint64_t next[SVIPC_MPSC_MAX_PRODUCERS] = {0}, sum = 0;
        struct timespec limit = {.tv_sec = 30};
        for (uint64_t n = 0; n < count; n++) {
            struct msg v;
            if ((r = svipc_mpsc_recv_wait(&m, &v, SVIPC_DEFAULT_SPINS, &limit)) != SVIPC_OK)
                fail("recv_wait", r);
            struct msg want = make_msg(v.producer, v.producer < SVIPC_MPSC_MAX_PRODUCERS
                                                       ? next[v.producer]
                                                       : ~UINT64_C(0));
            if (memcmp(&v, &want, sizeof v) != 0) {
                fprintf(stderr, "mpsc_peer: message %llu: producer %llu seq %llu check %llx\n",
                        (unsigned long long)n, (unsigned long long)v.producer,
                        (unsigned long long)v.seq, (unsigned long long)v.check);
                return 1;
            }
            next[v.producer]++;
            sum += v.seq;
        }
        printf("got %llu abandoned %llu parks %llu wakes %llu sum %llu\n",
               (unsigned long long)count, (unsigned long long)m.abandoned,
               (unsigned long long)m.parks, (unsigned long long)m.wakes,
               (unsigned long long)sum);
        svipc_mpsc_close(&m);
        return 0;
    }
    if (strcmp(mode, "stall") == 0 && argc == 5) {
        open_or_fail(&m, argv);
        int r = svipc_mpsc_producer(&m);
        if (r != SVIPC_OK)
            fail("producer", r);
        if ((r = svipc_mpsc_claim(&m)) != SVIPC_OK)
            fail("claim", r);
        printf("claimed %llu\n", (unsigned long long)m.claim);
        fflush(stdout);
        raise(SIGSTOP);
        /* Continued instead of killed: publish nothing, exit with an error. */
        fprintf(stderr, "mpsc_peer: stall: continued\n");
        return 1;
    }
    if (strcmp(mode, "refuse") == 0 && argc == 5) {
        key_t key = (key_t)strtol(argv[2], NULL, 0);
        uint64_t cap = strtoull(argv[3], NULL, 0), p = strtoull(argv[4], NULL, 0);
        struct {
            struct svipc_type t;
            uint64_t cap, p;
            const char *field;
        } wrong[] = {
            {msg_type(), cap * 2, p, "capacity"},
            {msg_type(), cap, p + 1, "data_offset"},
            {SVIPC_TYPE(svipc_type_id("sysv-ipc interop::Wide v1"), struct wide), cap, p,
             "type_size"},
            {SVIPC_TYPE(svipc_type_id("sysv-ipc interop::Other v1"), struct msg), cap, p,
             "type_id"},
        };
        for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
            int r = svipc_mpsc_open(&m, key, wrong[i].t, wrong[i].cap, wrong[i].p, 100);
            if (r != SVIPC_E_MISMATCH || strcmp(m.mismatch, wrong[i].field) != 0) {
                fprintf(stderr, "mpsc_peer: %s: %s, field %s\n", wrong[i].field,
                        svipc_strerror(r), m.mismatch ? m.mismatch : "-");
                return 1;
            }
        }
        struct svipc_queue q;
        int r = svipc_queue_open(&q, key, msg_type(), cap, 100);
        if (r != SVIPC_E_MISMATCH || strcmp(q.mismatch, "kind") != 0)
            fail("open as a queue", r);
        struct svipc_bc b;
        r = svipc_bc_open(&b, key, msg_type(), cap, 1, SVIPC_BC_LOSSLESS, 100);
        if (r != SVIPC_E_MISMATCH || strcmp(b.mismatch, "kind") != 0)
            fail("open as a broadcast", r);
        /* The right shape is still accepted. */
        if ((r = svipc_mpsc_open(&m, key, msg_type(), cap, p, 100)) != SVIPC_OK)
            fail("open", r);
        svipc_mpsc_close(&m);
        printf("refused\n");
        return 0;
    }
    fprintf(stderr, "mpsc_peer: bad arguments\n");
    return 2;
}
