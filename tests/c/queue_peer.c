/*
 * The C side of tests/interop_c_queue.rs: a C program that joins a Queue<Item, N>
 * and a SeqLock<Reading> that the Rust test created, through the generated
 * include/sysv_ipc_layout.h and the hand-written include/sysv_ipc_protocol.h only.
 *
 *   queue_peer layout                           sizes, offsets, type ids, fingerprints
 *   queue_peer produce <key> <n> <cap> <at>     enqueues items 0..n-1; before item <at>
 *                                               waits until the Rust consumer is parked
 *   queue_peer consume <key> <n> <cap> <at>     dequeues and checks items 0..n-1; before
 *                                               item <at> waits until the Rust producer
 *                                               is parked (the ring is full)
 *   queue_peer produce-word ..., consume-word ... the same, waiting instead until the
 *                                               Rust side announces an asynchronous
 *                                               waiter (SVIPC_WAITING_WORD) in its flag
 *   queue_peer produce-close <key> <n> <cap>    enqueues items 0..n-1, waits until the
 *                                               Rust consumer is parked on the drained
 *                                               ring, closes, then claims the producer
 *                                               role again (refused: closed)
 *   queue_peer consume-close <key> <n> <cap>    dequeues and checks items 0..n-1, then
 *                                               waits (parked) for the end of the stream
 *   queue_peer refuse <key> <cap>               joins with wrong shapes, claims roles
 *   queue_peer refuse-raw <small> <zero> <cap>  joins segments no Queue initialised
 *   queue_peer hostile <key> <cap>              plays a hostile peer against itself
 *   queue_peer abandon <key> <cap>              enqueues item 0 and exits holding the role
 *   queue_peer seqlock-read <key> <last>        reads until it sees value <last>
 *   queue_peer seqlock-write <key> <n>          waits for "go" on stdin, writes 0..n-1
 *
 * Items and readings are a pure function of their sequence number, computed the
 * same way on both sides, so each side checks every byte of what it receives.
 * Results go to stdout, one line each; a failure is a message on stderr and exit
 * status 1. alarm() bounds every run.
 */
#define _GNU_SOURCE
#include "sysv_ipc_protocol.h"

#include <stdio.h>
#include <stdlib.h>

/* `Item` in tests/interop_c_queue.rs (#[repr(C)]). */
struct item {
    uint64_t seq;
    double value;
    int32_t temp;
    uint32_t checksum;
    uint16_t kind;
    uint8_t flags;
    uint8_t tag[5];
    int64_t neg;
};
_Static_assert(sizeof(struct item) == 40, "item: 40 bytes, no padding");
#define ITEM_NAME "sysv-ipc interop::Item v1"

/* `Reading` in tests/interop_c_queue.rs: 20 bytes, so its last word is padded. */
struct reading {
    uint32_t seq;
    int32_t temp;
    float pressure;
    uint16_t id;
    int16_t code;
    uint8_t raw[4];
};
_Static_assert(sizeof(struct reading) == 20, "reading: 20 bytes, no padding");
#define READING_NAME "sysv-ipc interop::Reading v1"

/* Bounded waits for the Rust creator (ms). */
#define WAIT_MS 10000

static void fail(const char *what, int r) {
    fprintf(stderr, "queue_peer: %s: %s (%d)", what, svipc_strerror(r), r);
    if (r == SVIPC_E_SYS)
        fprintf(stderr, ": %s", strerror(errno));
    fprintf(stderr, "\n");
    exit(1);
}

static void check(int cond, const char *what) {
    if (!cond) {
        fprintf(stderr, "queue_peer: check failed: %s\n", what);
        exit(1);
    }
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * SVIPC_FNV1A64_PRIME;
    return h;
}

static uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static struct item make_item(uint64_t k) {
    uint64_t x = splitmix64(k);
    struct item it;
    memset(&it, 0, sizeof it);
    it.seq = k;
    it.value = (double)(x >> 11) * 0x1p-53;
    if (x & 1)
        it.value = -it.value;
    it.temp = (int32_t)(uint32_t)(x >> 32);
    it.kind = (uint16_t)(x >> 16);
    it.flags = (uint8_t)x;
    for (int i = 0; i < 5; i++)
        it.tag[i] = (uint8_t)(x >> (8 * (i + 3)));
    it.neg = -(int64_t)k;
    it.checksum = (uint32_t)fnv_bytes(SVIPC_FNV1A64_BASIS, &it, sizeof it);
    return it;
}

static struct reading make_reading(uint32_t k) {
    struct reading r;
    r.seq = k;
    r.temp = (int32_t)(0u - 3u * k);
    r.pressure = (float)k * 0.5f;
    r.id = (uint16_t)(k ^ 0xa5a5u);
    r.code = (int16_t)(uint16_t)(k * 7u);
    uint32_t m = k * 2654435761u;
    for (int i = 0; i < 4; i++)
        r.raw[i] = (uint8_t)(m >> (8 * i));
    return r;
}

static struct svipc_type item_type(void) {
    return SVIPC_TYPE(svipc_type_id(ITEM_NAME), struct item);
}

static struct svipc_type reading_type(void) {
    return SVIPC_TYPE(svipc_type_id(READING_NAME), struct reading);
}

/* Waits until a process sleeps in semop on semaphore num of semid (GETNCNT). */
static void wait_parked(int semid, int num) {
    for (;;) {
        int n = semctl(semid, num, GETNCNT);
        if (n < 0)
            fail("semctl GETNCNT", SVIPC_E_SYS);
        if (n >= 1)
            return;
        nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
    }
}

/* Until the Rust side's waiting flag announces an asynchronous waiter (it armed
 * and sleeps in a futex wait on the flag): our next move must futex-wake it. */
static void wait_word(_Atomic uint64_t *flag) {
    while (atomic_load_explicit(flag, memory_order_relaxed) != SVIPC_WAITING_WORD)
        nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
}

static struct svipc_queue open_queue(const char *key, const char *cap) {
    struct svipc_queue q;
    int r = svipc_queue_open(&q, (key_t)strtol(key, NULL, 0), item_type(), strtoull(cap, NULL, 0),
                             WAIT_MS);
    if (r != SVIPC_OK)
        fail(q.mismatch ? q.mismatch : "svipc_queue_open", r);
    return q;
}

static void print_hex(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

static int layout(void) {
    printf("item %zu %zu seq %zu value %zu temp %zu checksum %zu kind %zu flags %zu tag %zu "
           "neg %zu\n",
           sizeof(struct item), _Alignof(struct item), offsetof(struct item, seq),
           offsetof(struct item, value), offsetof(struct item, temp),
           offsetof(struct item, checksum), offsetof(struct item, kind),
           offsetof(struct item, flags), offsetof(struct item, tag), offsetof(struct item, neg));
    printf("reading %zu %zu seq %zu temp %zu pressure %zu id %zu code %zu raw %zu\n",
           sizeof(struct reading), _Alignof(struct reading), offsetof(struct reading, seq),
           offsetof(struct reading, temp), offsetof(struct reading, pressure),
           offsetof(struct reading, id), offsetof(struct reading, code),
           offsetof(struct reading, raw));
    /* The runtime type_id against the generated constants, then the fingerprints
     * computed at run time with the generated macro. */
    printf("type_id u64 %d f32 %d\n", svipc_type_id("u64") == SVIPC_TYPE_ID_U64,
           svipc_type_id("f32") == SVIPC_TYPE_ID_F32);
    struct svipc_type i = item_type(), r = reading_type();
    printf("item type_id %016llx fingerprint %016llx\n", (unsigned long long)i.id,
           (unsigned long long)SVIPC_FINGERPRINT(i.id, i.size, i.align));
    printf("reading type_id %016llx fingerprint %016llx\n", (unsigned long long)r.id,
           (unsigned long long)SVIPC_FINGERPRINT(r.id, r.size, r.align));
    /* The generators agree byte for byte. */
    struct item it = make_item(3);
    struct reading rd = make_reading(77777);
    printf("item 3 ");
    print_hex(&it, sizeof it);
    printf("\nreading 77777 ");
    print_hex(&rd, sizeof rd);
    printf("\n");
    return 0;
}

static int produce(const char *key, uint64_t n, const char *cap, uint64_t at, int word) {
    struct svipc_queue q = open_queue(key, cap);
    int r = svipc_queue_producer(&q, 0);
    if (r != SVIPC_OK)
        fail("producer", r);
    printf("barrier %d\n", q.asymmetric);
    uint64_t hash = SVIPC_FNV1A64_BASIS;
    for (uint64_t k = 0; k < n; k++) {
        if (k == at) {
            /* The Rust consumer drained the ring and sleeps: this enqueue must wake it. */
            if (word)
                wait_word(&q.ctl->consumer_waiting);
            else
                wait_parked(q.semid, SVIPC_QUEUE_SEM_ITEMS);
            printf("peer parked at %llu\n", (unsigned long long)k);
        }
        struct item it = make_item(k);
        if ((r = svipc_queue_enqueue_wait(&q, &it, SVIPC_DEFAULT_SPINS, NULL)) != SVIPC_OK)
            fail("enqueue", r);
        hash = fnv_bytes(hash, &it, sizeof it);
    }
    printf("sent %llu hash %016llx\n", (unsigned long long)n, (unsigned long long)hash);
    svipc_queue_close(&q);
    return 0;
}

static int consume(const char *key, uint64_t n, const char *cap, uint64_t at, int word) {
    struct svipc_queue q = open_queue(key, cap);
    int r = svipc_queue_consumer(&q, 0);
    if (r != SVIPC_OK)
        fail("consumer", r);
    printf("barrier %d\n", q.asymmetric);
    uint64_t hash = SVIPC_FNV1A64_BASIS;
    for (uint64_t k = 0; k < n; k++) {
        if (k == at) {
            /* The Rust producer filled the ring and sleeps: this dequeue must wake it. */
            if (word)
                wait_word(&q.ctl->producer_waiting);
            else
                wait_parked(q.semid, SVIPC_QUEUE_SEM_SPACE);
            printf("peer parked at %llu\n", (unsigned long long)k);
        }
        struct item it;
        if ((r = svipc_queue_dequeue_wait(&q, &it, SVIPC_DEFAULT_SPINS, NULL)) != SVIPC_OK)
            fail("dequeue", r);
        struct item want = make_item(k);
        if (memcmp(&it, &want, sizeof it) != 0) {
            fprintf(stderr, "queue_peer: item %llu: got seq %llu checksum %08x, want %08x\n",
                    (unsigned long long)k, (unsigned long long)it.seq, it.checksum,
                    want.checksum);
            exit(1);
        }
        hash = fnv_bytes(hash, &it, sizeof it);
    }
    struct item extra;
    r = svipc_queue_dequeue(&q, &extra);
    printf("received %llu hash %016llx then %s\n", (unsigned long long)n,
           (unsigned long long)hash, svipc_strerror(r));
    svipc_queue_close(&q);
    return 0;
}

/* The stream ends with a close: the Rust consumer drains the ring and parks, and
 * the close (not an item) must wake it. */
static int produce_close(const char *key, uint64_t n, const char *cap) {
    struct svipc_queue q = open_queue(key, cap);
    int r = svipc_queue_producer(&q, 0);
    if (r != SVIPC_OK)
        fail("producer", r);
    uint64_t hash = SVIPC_FNV1A64_BASIS;
    for (uint64_t k = 0; k < n; k++) {
        struct item it = make_item(k);
        if ((r = svipc_queue_enqueue_wait(&q, &it, SVIPC_DEFAULT_SPINS, NULL)) != SVIPC_OK)
            fail("enqueue", r);
        hash = fnv_bytes(hash, &it, sizeof it);
    }
    printf("sent %llu hash %016llx\n", (unsigned long long)n, (unsigned long long)hash);
    wait_parked(q.semid, SVIPC_QUEUE_SEM_ITEMS);
    printf("peer parked\n");
    fflush(stdout);
    if ((r = svipc_queue_producer_close(&q)) != SVIPC_OK)
        fail("close", r);
    check(q.role == 0, "close releases the role");
    printf("claim after close: %s\n", svipc_strerror(svipc_queue_producer(&q, 0)));
    svipc_queue_close(&q);
    return 0;
}

/* Dequeues n items (blocking), then one more blocking dequeue, which the Rust
 * producer's close must end with SVIPC_E_CLOSED. */
static int consume_close(const char *key, uint64_t n, const char *cap) {
    struct svipc_queue q = open_queue(key, cap);
    int r = svipc_queue_consumer(&q, 0);
    if (r != SVIPC_OK)
        fail("consumer", r);
    uint64_t hash = SVIPC_FNV1A64_BASIS;
    for (uint64_t k = 0; k < n; k++) {
        struct item it;
        if ((r = svipc_queue_dequeue_wait(&q, &it, SVIPC_DEFAULT_SPINS, NULL)) != SVIPC_OK)
            fail("dequeue", r);
        struct item want = make_item(k);
        check(memcmp(&it, &want, sizeof it) == 0, "item as sent");
        hash = fnv_bytes(hash, &it, sizeof it);
    }
    struct item extra;
    r = svipc_queue_dequeue_wait(&q, &extra, SVIPC_DEFAULT_SPINS, NULL);
    int again = svipc_queue_dequeue(&q, &extra);
    printf("received %llu hash %016llx then %s, %s\n", (unsigned long long)n,
           (unsigned long long)hash, svipc_strerror(r), svipc_strerror(again));
    svipc_queue_close(&q);
    return 0;
}

/* One join attempt, printed as "<case> <result> <field>". */
static void try_queue(const char *name, key_t key, struct svipc_type t, uint64_t cap) {
    struct svipc_queue q;
    int r = svipc_queue_open(&q, key, t, cap, WAIT_MS);
    printf("%s %s %s\n", name, svipc_strerror(r), r == SVIPC_E_MISMATCH ? q.mismatch : "-");
    svipc_queue_close(&q);
}

/* Rust made a Queue<Item, cap> and holds its producer role. */
static int refuse(const char *key_s, const char *cap_s) {
    key_t key = (key_t)strtol(key_s, NULL, 0);
    uint64_t cap = strtoull(cap_s, NULL, 0);
    struct svipc_type t = item_type();
    try_queue("capacity", key, t, cap * 2);
    try_queue("other-name", key,
              SVIPC_TYPE(svipc_type_id("sysv-ipc interop::Item v2"), struct item), cap);
    try_queue("size", key, (struct svipc_type){t.id, 32, 8}, cap);
    try_queue("align", key, (struct svipc_type){t.id, 40, 4}, cap);
    try_queue("not-a-power-of-two", key, t, 3);
    struct svipc_seqlock s;
    int r = svipc_seqlock_open(&s, key, t, WAIT_MS);
    printf("as-seqlock %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? s.mismatch : "-");
    svipc_seqlock_close(&s);
    try_queue("right", key, t, cap);
    struct svipc_queue q = open_queue(key_s, cap_s);
    printf("producer %s\n", svipc_strerror(svipc_queue_producer(&q, 0)));
    printf("consumer %s\n", svipc_strerror(svipc_queue_consumer(&q, 0)));
    svipc_queue_close(&q);
    return 0;
}

/* Segments under these keys that no Queue initialised: one too small for the
 * control block, one of the right size but still zero (its creator never
 * finished). Each has a semaphore set of 4 beside it. */
static int refuse_raw(const char *small_s, const char *zero_s, const char *cap_s) {
    uint64_t cap = strtoull(cap_s, NULL, 0);
    struct svipc_queue q;
    int r = svipc_queue_open(&q, (key_t)strtol(small_s, NULL, 0), item_type(), cap, 20);
    printf("small %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? q.mismatch : "-");
    r = svipc_queue_open(&q, (key_t)strtol(zero_s, NULL, 0), item_type(), cap, 20);
    printf("zero %s %s\n", svipc_strerror(r), r == SVIPC_E_MISMATCH ? q.mismatch : "-");
    r = svipc_queue_open(&q, (key_t)strtol(zero_s, NULL, 0) + 1, item_type(), cap, 20);
    printf("none %s %s\n", svipc_strerror(r), errno == ENOENT ? "ENOENT" : strerror(errno));
    return 0;
}

/*
 * A hostile peer, played by this process against its own role (the validation
 * is the same whoever wrote the garbage). Rust made a Queue<Item, cap>, enqueued
 * items 0, 1, 2 and released its producer; no role is held.
 */
static int hostile(const char *key_s, const char *cap_s) {
    uint64_t cap = strtoull(cap_s, NULL, 0);
    struct svipc_queue q = open_queue(key_s, cap_s);
    struct svipc_ring_ctl *ctl = q.ctl;
    check(atomic_load(&ctl->tail) == 3 && atomic_load(&ctl->head) == 0, "3 items queued");

    /* A state word no creator writes: the join refuses the segment. */
    atomic_store(&ctl->header.state, 7);
    struct svipc_queue other;
    printf("state 7: %s\n",
           svipc_strerror(svipc_queue_open(&other, (key_t)strtol(key_s, NULL, 0), item_type(),
                                           cap, WAIT_MS)));
    atomic_store(&ctl->header.state, SVIPC_STATE_READY);

    /* Impossible indices when the role is taken: refused, and the role given back. */
    atomic_store(&ctl->tail, cap + 1);
    printf("claim with tail %llu: %s", (unsigned long long)(cap + 1),
           svipc_strerror(svipc_queue_consumer(&q, 0)));
    printf(" role %d pid %llu\n", semctl(q.semid, SVIPC_QUEUE_SEM_CONSUMER, GETVAL),
           (unsigned long long)atomic_load(&ctl->consumer_pid));
    atomic_store(&ctl->tail, 3);

    /* Take the three items (from the cached tail), then garbage tails: each read of
     * the producer's index is checked before use. */
    int r = svipc_queue_consumer(&q, 0);
    if (r != SVIPC_OK)
        fail("consumer", r);
    for (uint64_t k = 0; k < 3; k++) {
        struct item it, want = make_item(k);
        if ((r = svipc_queue_dequeue(&q, &it)) != SVIPC_OK)
            fail("dequeue", r);
        check(memcmp(&it, &want, sizeof it) == 0, "items 0..2");
    }
    const uint64_t tails[] = {UINT64_MAX, 0, 2, 3 + cap + 1};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        atomic_store(&ctl->tail, tails[i]);
        struct item it;
        printf("dequeue with tail %llu head 3: %s\n", (unsigned long long)tails[i],
               svipc_strerror(svipc_queue_dequeue(&q, &it)));
    }
    atomic_store(&ctl->tail, 3);
    struct item it;
    printf("dequeue with tail 3 head 3: %s\n", svipc_strerror(svipc_queue_dequeue(&q, &it)));

    /* A closed word no producer writes: corrupt for a consumer that finds the ring
     * empty and for a producer claim (which gives the role back). */
    atomic_store(&ctl->closed, 2);
    printf("dequeue with closed 2: %s\n", svipc_strerror(svipc_queue_dequeue(&q, &it)));
    struct svipc_queue g = open_queue(key_s, cap_s);
    printf("producer with closed 2: %s", svipc_strerror(svipc_queue_producer(&g, 0)));
    printf(" role %d\n", semctl(g.semid, SVIPC_QUEUE_SEM_PRODUCER, GETVAL));
    svipc_queue_close(&g);
    atomic_store(&ctl->closed, SVIPC_RING_OPEN);

    /* A second role in one svipc_queue is the caller's mistake. */
    printf("second role: %s\n", svipc_strerror(svipc_queue_producer(&q, 0)));

    /* The producer side, through a second attachment: fill the ring (items 3 ..
     * 3+cap-1), then garbage heads once the cached head says full. */
    struct svipc_queue p = open_queue(key_s, cap_s);
    if ((r = svipc_queue_producer(&p, 0)) != SVIPC_OK)
        fail("producer", r);
    for (uint64_t k = 3; k < 3 + cap; k++) {
        struct item it = make_item(k);
        if ((r = svipc_queue_enqueue(&p, &it)) != SVIPC_OK)
            fail("enqueue", r);
    }
    const uint64_t heads[] = {3 + cap + 1, 2, UINT64_MAX};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        atomic_store(&ctl->head, heads[i]);
        struct item it = make_item(99);
        printf("enqueue with tail %llu head %llu: %s\n", (unsigned long long)(3 + cap),
               (unsigned long long)heads[i], svipc_strerror(svipc_queue_enqueue(&p, &it)));
    }
    atomic_store(&ctl->head, 3);
    struct item extra = make_item(99);
    printf("enqueue with tail %llu head 3: %s\n", (unsigned long long)(3 + cap),
           svipc_strerror(svipc_queue_enqueue(&p, &extra)));
    svipc_queue_close(&p);
    svipc_queue_close(&q);
    return 0;
}

/* Claims the producer role, enqueues item 0 and exits without releasing: the
 * kernel's SEM_UNDO frees the semaphore, the pid word stays set. */
static int abandon(const char *key_s, const char *cap_s) {
    struct svipc_queue q = open_queue(key_s, cap_s);
    int r = svipc_queue_producer(&q, 0);
    if (r != SVIPC_OK)
        fail("producer", r);
    struct item it = make_item(0);
    if ((r = svipc_queue_enqueue(&q, &it)) != SVIPC_OK)
        fail("enqueue", r);
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    _exit(0);
}

static struct svipc_seqlock open_seqlock(const char *key) {
    struct svipc_seqlock s;
    int r = svipc_seqlock_open(&s, (key_t)strtol(key, NULL, 0), reading_type(), WAIT_MS);
    if (r != SVIPC_OK)
        fail(s.mismatch ? s.mismatch : "svipc_seqlock_open", r);
    return s;
}

/* Rust holds the writer role and writes reading k with sequence number 2k + 2
 * (k = 0, 1, ..., last), as fast as it can. Every copy must be one reading,
 * written whole, with the sequence number of that reading. */
static int seqlock_read(const char *key, uint32_t last) {
    struct svipc_seqlock s = open_seqlock(key);
    printf("writer %s\n", svipc_strerror(svipc_seqlock_writer(&s, 0)));
    printf("ready\n");
    fflush(stdout);
    uint64_t distinct = 0, prev_seq = 0;
    for (;;) {
        struct reading got;
        uint64_t seq;
        int r = svipc_seqlock_read(&s, &got, SVIPC_SEQLOCK_DEFAULT_ATTEMPTS, &seq);
        /* Busy: every attempt met a write (a writer in a tight loop can starve a
         * reader for a while); only a torn or foreign copy is an error. */
        if (r == SVIPC_E_BUSY)
            continue;
        if (r != SVIPC_OK)
            fail("seqlock read", r);
        struct reading want = make_reading(got.seq);
        if (memcmp(&got, &want, sizeof got) != 0 || seq != 2 * (uint64_t)got.seq + 2) {
            fprintf(stderr, "queue_peer: torn or foreign reading: seq %u at sequence %llu\n",
                    got.seq, (unsigned long long)seq);
            exit(1);
        }
        check(seq >= prev_seq, "the sequence never goes back");
        distinct += seq != prev_seq;
        prev_seq = seq;
        if (got.seq == last)
            break;
    }
    printf("last %u sequence %llu distinct>0 %d\n", last, (unsigned long long)prev_seq,
           distinct > 0);
    svipc_seqlock_close(&s);
    return 0;
}

/* Rust holds the writer role until it answers "go" on stdin; then this process
 * takes it and writes readings 0 .. n-1, and releases it. */
static int seqlock_write(const char *key, uint32_t n) {
    struct svipc_seqlock s = open_seqlock(key);
    printf("writer %s\n", svipc_strerror(svipc_seqlock_writer(&s, 0)));
    printf("waiting\n");
    fflush(stdout);
    char line[16];
    if (fgets(line, sizeof line, stdin) == NULL || strcmp(line, "go\n") != 0)
        fail("no go on stdin", SVIPC_E_ARG);
    int r = svipc_seqlock_writer(&s, 0);
    if (r != SVIPC_OK)
        fail("writer", r);
    uint64_t first = s.seq;
    for (uint32_t k = 0; k < n; k++) {
        struct reading rd = make_reading(k);
        svipc_seqlock_write(&s, &rd);
    }
    printf("wrote %u from sequence %llu to %llu\n", n, (unsigned long long)first,
           (unsigned long long)s.seq);
    svipc_seqlock_close(&s);
    return 0;
}

int main(int argc, char **argv) {
    alarm(30);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *cmd = argc > 1 ? argv[1] : "";
    if (argc == 2 && strcmp(cmd, "layout") == 0)
        return layout();
    if (argc == 6 && (strcmp(cmd, "produce") == 0 || strcmp(cmd, "produce-word") == 0))
        return produce(argv[2], strtoull(argv[3], NULL, 0), argv[4], strtoull(argv[5], NULL, 0),
                       strcmp(cmd, "produce-word") == 0);
    if (argc == 6 && (strcmp(cmd, "consume") == 0 || strcmp(cmd, "consume-word") == 0))
        return consume(argv[2], strtoull(argv[3], NULL, 0), argv[4], strtoull(argv[5], NULL, 0),
                       strcmp(cmd, "consume-word") == 0);
    if (argc == 5 && strcmp(cmd, "produce-close") == 0)
        return produce_close(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
    if (argc == 5 && strcmp(cmd, "consume-close") == 0)
        return consume_close(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
    if (argc == 4 && strcmp(cmd, "refuse") == 0)
        return refuse(argv[2], argv[3]);
    if (argc == 5 && strcmp(cmd, "refuse-raw") == 0)
        return refuse_raw(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(cmd, "hostile") == 0)
        return hostile(argv[2], argv[3]);
    if (argc == 4 && strcmp(cmd, "abandon") == 0)
        return abandon(argv[2], argv[3]);
    if (argc == 4 && strcmp(cmd, "seqlock-read") == 0)
        return seqlock_read(argv[2], (uint32_t)strtoul(argv[3], NULL, 0));
    if (argc == 4 && strcmp(cmd, "seqlock-write") == 0)
        return seqlock_write(argv[2], (uint32_t)strtoul(argv[3], NULL, 0));
    fprintf(stderr, "usage: see the comment at the top of queue_peer.c\n");
    return 2;
}
