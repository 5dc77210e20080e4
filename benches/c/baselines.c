/*
 * Baselines for benches/ipc.rs: what a C programmer writes by hand for the same
 * jobs. Compiled by the bench at run time (cc crate, -O2, shared object, dlopen)
 * so that every figure is measured in the same process pair as the crate's.
 *
 * Rings: single-producer single-consumer over a SysV segment, the layout every
 * hand-written one has: producer index and consumer index on their own 128-byte
 * lines, slots after them, free-running 64-bit indices, Release/Acquire, and each
 * side caching the peer's index (reloaded only when the cache says full/empty) —
 * the same algorithm as the crate's ring, so the comparison is about the code,
 * not about the design. Two builds of it:
 *   - runtime message size ("rt"): the size is a function argument, so every
 *     message is a memcpy call of unknown length (what a generic C library does);
 *   - compile-time size ("ct"): one function per size, memcpy of a constant that
 *     the compiler turns into a few moves (the best hand-written C).
 * Messages: word 0 is a counter, the other words a constant; the consumer adds up
 * every word of every message (so no copy is dead code) and returns the sum.
 *
 * Ping-pong: two flags on separate lines (spin); the same with a SysV semaphore
 * per side to park on after a bounded spin, with the announce/barrier/re-check
 * protocol that loses no wake-up (the crate's protocol, written in C), under the
 * crate's two barrier pairs: symmetric (pp_ping/pp_pong: a SeqCst fence on both
 * sides, the crate's fallback) and asymmetric (pp_ping_mb/pp_pong_mb: a compiler
 * barrier after each publish, membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) before
 * the re-check, what the crate's queues use where the kernel has it). Each process
 * counts what its parks did (pp_counters), so that the bench can tell a park that
 * slept from one that the re-check or a stale semaphore count cut short.
 *
 * SysV message queue streaming: one 8- or 64-byte message per call; pipe: 8 bytes.
 *
 * Seqlock: one 64-byte value behind a sequence word, what a C programmer writes
 * for a slot of a board of latest values (the `table` group: it runs over a slot
 * of the crate's Table segment, a sequence word then the value's eight words):
 * the writer stores seq + 1 (relaxed), a release fence, the words (relaxed),
 * seq + 2 (release); the reader loads seq (acquire), the words (relaxed), an
 * acquire fence, seq again, and retries until the two agree and are even.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LINE 128
#define MAX_MSG 256

static inline void pause_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct cring {
    _Alignas(LINE) _Atomic uint64_t tail; /* producer's line */
    _Atomic uint64_t consumer_waiting;    /* only read by the "w" builds */
    _Alignas(LINE) _Atomic uint64_t head; /* consumer's line */
    _Atomic uint64_t producer_waiting;
    _Alignas(LINE) unsigned char slots[];
};

/* Per process (the library is loaded before the fork): what the parks and the
   rings' waits did (pp_counters). */
enum { PP_PARK_PATH, PP_RECHECK_HIT, PP_SEM_P, PP_SEM_V, PP_RING_WAIT, PP_COUNTERS };
static uint64_t pp_count[PP_COUNTERS];

/* Bytes of a ring of `cap` slots of `size` bytes. */
uint64_t cring_bytes(uint64_t cap, uint64_t size) {
    return sizeof(struct cring) + cap * size;
}

static inline void fill(unsigned char *msg, uint64_t size, uint64_t i) {
    memcpy(msg, &i, sizeof i);
    (void)size;
}

static inline uint64_t sum_words(const unsigned char *msg, uint64_t size) {
    uint64_t s = 0;
    for (uint64_t k = 0; k < size; k += 8) {
        uint64_t w;
        memcpy(&w, msg + k, 8);
        s += w;
    }
    return s;
}

/*
 * After an index store, the "w" builds do what a ring that lets the peer park must
 * do (the crate's protocol): a SeqCst fence, then a look at the peer's waiting
 * flag (never set here, so never a wake-up). This measures that fence's cost.
 */
static inline void wake_check(_Atomic uint64_t *flag) {
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(flag, memory_order_relaxed) &&
        atomic_exchange_explicit(flag, 0, memory_order_relaxed))
        __builtin_trap(); /* nobody parks in these benches */
}

/* The ring's body, instantiated with a runtime or a constant SIZE, and with or
   without the wake check (WAKE). */
#define RING_FUNCS(NAME, SIZE_PARAM, SIZE, WAKE)                                          \
    void cring_produce_##NAME(void *base, uint64_t cap, SIZE_PARAM, uint64_t first,  \
                              uint64_t n, uint64_t filler) {                         \
        struct cring *r = base;                                                      \
        unsigned char msg[MAX_MSG];                                                  \
        for (uint64_t k = 0; k < (SIZE); k += 8) memcpy(msg + k, &filler, 8);        \
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);        \
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);        \
        for (uint64_t i = first; i < first + n; i++) {                               \
            fill(msg, (SIZE), i);                                                    \
            while (tail - head == cap) {                                             \
                head = atomic_load_explicit(&r->head, memory_order_acquire);         \
                if (tail - head == cap) {                                            \
                    pp_count[PP_RING_WAIT]++;                                        \
                    pause_cpu();                                                     \
                }                                                                    \
            }                                                                        \
            memcpy(r->slots + (tail & (cap - 1)) * (SIZE), msg, (SIZE));             \
            tail++;                                                                  \
            atomic_store_explicit(&r->tail, tail, memory_order_release);             \
            if (WAKE) wake_check(&r->consumer_waiting);                              \
        }                                                                            \
    }                                                                                \
    uint64_t cring_consume_##NAME(void *base, uint64_t cap, SIZE_PARAM, uint64_t n) { \
        struct cring *r = base;                                                      \
        unsigned char msg[MAX_MSG];                                                  \
        uint64_t sum = 0;                                                            \
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);        \
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);        \
        for (uint64_t i = 0; i < n; i++) {                                           \
            while (tail == head) {                                                   \
                tail = atomic_load_explicit(&r->tail, memory_order_acquire);         \
                if (tail == head) {                                                  \
                    pp_count[PP_RING_WAIT]++;                                        \
                    pause_cpu();                                                     \
                }                                                                    \
            }                                                                        \
            memcpy(msg, r->slots + (head & (cap - 1)) * (SIZE), (SIZE));             \
            head++;                                                                  \
            atomic_store_explicit(&r->head, head, memory_order_release);             \
            if (WAKE) wake_check(&r->producer_waiting);                              \
            sum += sum_words(msg, (SIZE));                                           \
        }                                                                            \
        return sum;                                                                  \
    }

RING_FUNCS(rt, uint64_t size, size, 0)
RING_FUNCS(ct8, __attribute__((unused)) uint64_t size, 8, 0)
RING_FUNCS(ct64, __attribute__((unused)) uint64_t size, 64, 0)
RING_FUNCS(ct8w, __attribute__((unused)) uint64_t size, 8, 1)
RING_FUNCS(ct64w, __attribute__((unused)) uint64_t size, 64, 1)

/*
 * The same ring, batched (compile-time size): up to BATCH messages per index
 * store, as the crate's enqueue_slice/dequeue_into do; what the hardware gives a
 * batched ring here, for the crate's batch rows to be read against.
 */
#define BATCH 128
#define BATCH_FUNCS(NAME, SIZE)                                                           \
    void cring_produce_##NAME(void *base, uint64_t cap, __attribute__((unused)) uint64_t size, \
                              uint64_t first, uint64_t n, uint64_t filler) {         \
        struct cring *r = base;                                                      \
        unsigned char msg[SIZE];                                                     \
        for (uint64_t k = 0; k < (SIZE); k += 8) memcpy(msg + k, &filler, 8);        \
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);        \
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);        \
        for (uint64_t i = first; i < first + n;) {                                   \
            uint64_t m = first + n - i < BATCH ? first + n - i : BATCH;              \
            if (cap - (tail - head) < m) {                                           \
                head = atomic_load_explicit(&r->head, memory_order_acquire);         \
                if (tail - head == cap) {                                            \
                    pp_count[PP_RING_WAIT]++;                                        \
                    pause_cpu();                                                     \
                    continue;                                                        \
                }                                                                    \
                if (cap - (tail - head) < m) m = cap - (tail - head);                \
            }                                                                        \
            for (uint64_t j = 0; j < m; j++) {                                       \
                fill(msg, (SIZE), i + j);                                            \
                memcpy(r->slots + ((tail + j) & (cap - 1)) * (SIZE), msg, (SIZE));   \
            }                                                                        \
            tail += m;                                                               \
            i += m;                                                                  \
            atomic_store_explicit(&r->tail, tail, memory_order_release);             \
        }                                                                            \
    }                                                                                \
    uint64_t cring_consume_##NAME(void *base, uint64_t cap, __attribute__((unused)) uint64_t size, \
                                  uint64_t n) {                                      \
        struct cring *r = base;                                                      \
        unsigned char msg[SIZE];                                                     \
        uint64_t sum = 0;                                                            \
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);        \
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);        \
        for (uint64_t i = 0; i < n;) {                                               \
            if (tail == head) {                                                      \
                tail = atomic_load_explicit(&r->tail, memory_order_acquire);         \
                if (tail == head) {                                                  \
                    pp_count[PP_RING_WAIT]++;                                        \
                    pause_cpu();                                                     \
                    continue;                                                        \
                }                                                                    \
            }                                                                        \
            uint64_t m = tail - head;                                                \
            if (m > BATCH) m = BATCH;                                                \
            if (m > n - i) m = n - i;                                                \
            for (uint64_t j = 0; j < m; j++) {                                       \
                memcpy(msg, r->slots + ((head + j) & (cap - 1)) * (SIZE), (SIZE));   \
                sum += sum_words(msg, (SIZE));                                       \
            }                                                                        \
            head += m;                                                               \
            i += m;                                                                  \
            atomic_store_explicit(&r->head, head, memory_order_release);             \
        }                                                                            \
        return sum;                                                                  \
    }

BATCH_FUNCS(batch8, 8)
BATCH_FUNCS(batch64, 64)

/* ---- ping-pong ---------------------------------------------------------------- */

struct pp {
    _Alignas(LINE) _Atomic uint64_t ping;
    _Atomic uint64_t ping_waiting; /* pong side announces it will park on sem 0 */
    _Alignas(LINE) _Atomic uint64_t pong;
    _Atomic uint64_t pong_waiting; /* ping side announces it will park on sem 1 */
};

uint64_t pp_bytes(void) { return sizeof(struct pp); }

/* membarrier(2) commands (linux/membarrier.h; spelled out so that older headers,
   which lack MEMBARRIER_CMD_GET_REGISTRATIONS, still compile). */
#define MB_GLOBAL_EXPEDITED (1 << 1)
#define MB_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define MB_GET_REGISTRATIONS (1 << 9) /* Linux 6.3 */

static inline long mb(int cmd) { return syscall(SYS_membarrier, cmd, 0u, 0); }

/*
 * Whether this process is registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED (so that a
 * peer's membarrier reaches it, which the fence-free publish of the "mb" builds
 * relies on); registers it if not. 1: it already was (the crate's queues register
 * the process that claims a role); 2: registered now; 3: the kernel cannot say
 * (before 6.3), registered (again: idempotent); -errno: registration failed.
 */
int64_t pp_membarrier_ready(void) {
    long r = mb(MB_GET_REGISTRATIONS);
    if (r >= 0 && (r & MB_REGISTER_GLOBAL_EXPEDITED)) return 1;
    int64_t how = r >= 0 ? 2 : 3;
    if (mb(MB_REGISTER_GLOBAL_EXPEDITED) != 0) return -errno;
    return how;
}


/* Copies this process's counters since the last call into out[0..5] and resets
   them: times a get() gave up spinning and announced, times its re-check found the
   value (no semop), semop P calls (each may or may not sleep: a post made for an
   earlier park that the re-check cut short is still counted), semop V calls, and
   times a C ring's producer found it full or its consumer found it empty (one per
   look at the peer's index that found no progress). */
void pp_counters(uint64_t *out) {
    for (int k = 0; k < PP_COUNTERS; k++) {
        out[k] = pp_count[k];
        pp_count[k] = 0;
    }
}

/* Barrier pairs: the publisher's after its store (light), the waiter's between its
   announcement and its re-check (heavy); they must forbid the store-buffering
   outcome (both sides reading the old values). */
enum barrier { SPIN, SYMMETRIC, ASYMMETRIC };

static inline void put(_Atomic uint64_t *v, _Atomic uint64_t *waiting, int semid, int semnum,
                       uint64_t x, enum barrier b) {
    atomic_store_explicit(v, x, memory_order_release);
    if (b == SPIN) return;
    if (b == SYMMETRIC)
        atomic_thread_fence(memory_order_seq_cst);
    else
        /* Compiler only: keeps the store before the load below; the waiter's
           membarrier orders them in the hardware. */
        atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(waiting, memory_order_relaxed) &&
        atomic_exchange_explicit(waiting, 0, memory_order_relaxed)) {
        struct sembuf op = {(unsigned short)semnum, 1, 0};
        pp_count[PP_SEM_V]++;
        semop(semid, &op, 1);
    }
}

static inline void get(_Atomic uint64_t *v, _Atomic uint64_t *waiting, int semid, int semnum,
                       uint64_t x, uint32_t spins, enum barrier b) {
    for (;;) {
        for (uint32_t s = 0;; s++) {
            if (atomic_load_explicit(v, memory_order_acquire) == x) return;
            if (b != SPIN && s >= spins) break;
            pause_cpu();
        }
        pp_count[PP_PARK_PATH]++;
        if (b == SYMMETRIC) {
            atomic_store_explicit(waiting, 1, memory_order_relaxed);
            atomic_thread_fence(memory_order_seq_cst);
        } else {
            /* As the crate (and include/sysv_ipc_protocol.h): an exchange, then the
               IPI round to every CPU running a registered process. */
            atomic_exchange_explicit(waiting, 1, memory_order_relaxed);
            if (mb(MB_GLOBAL_EXPEDITED) != 0) __builtin_trap();
        }
        if (atomic_load_explicit(v, memory_order_acquire) == x) {
            /* As the crate's withdraw: if the publisher already took the
               announcement, its post is ours; take it back if it is there, so
               posts for parks that never slept do not pile up (without this, a
               0-spin ping-pong leaves thousands, which then act as free wake-ups
               and hide every real sleep). */
            if (atomic_exchange_explicit(waiting, 0, memory_order_relaxed) == 0) {
                struct sembuf op = {(unsigned short)semnum, -1, IPC_NOWAIT};
                semop(semid, &op, 1);
            }
            pp_count[PP_RECHECK_HIT]++;
            return;
        }
        struct sembuf op = {(unsigned short)semnum, -1, 0};
        pp_count[PP_SEM_P]++;
        semop(semid, &op, 1);
        atomic_store_explicit(waiting, 0, memory_order_relaxed);
    }
}

#define PP_FUNCS(SUFFIX, BARRIER)                                                          \
    /* Round trips first+1 ..= first+n, initiating side. */                                \
    void pp_ping##SUFFIX(void *base, int semid, uint32_t spins, uint64_t first, uint64_t n) { \
        struct pp *p = base;                                                               \
        enum barrier b = (BARRIER);                                                        \
        for (uint64_t i = first + 1; i <= first + n; i++) {                                \
            put(&p->ping, &p->ping_waiting, semid, 0, i, b);                               \
            get(&p->pong, &p->pong_waiting, semid, 1, i, spins, b);                        \
        }                                                                                  \
    }                                                                                      \
    /* The echoing side. */                                                                \
    void pp_pong##SUFFIX(void *base, int semid, uint32_t spins, uint64_t first, uint64_t n) { \
        struct pp *p = base;                                                               \
        enum barrier b = (BARRIER);                                                        \
        for (uint64_t i = first + 1; i <= first + n; i++) {                                \
            get(&p->ping, &p->ping_waiting, semid, 0, i, spins, b);                        \
            put(&p->pong, &p->pong_waiting, semid, 1, i, b);                               \
        }                                                                                  \
    }

/* semid < 0: pure spin; otherwise symmetric fences. */
PP_FUNCS(, semid < 0 ? SPIN : SYMMETRIC)
/* The crate's asymmetric pair; every process taking part must be registered
   (pp_membarrier_ready). */
PP_FUNCS(_mb, ASYMMETRIC)

/* ---- SysV message queue and pipe streaming -------------------------------------- */

/* One message of SIZE bytes per call: word 0 the value, the rest zero; the consumer
   adds up word 0 (the kernel copies the whole message either way). */
#define MSGQ_FUNCS(SUFFIX, SIZE)                                                        \
    struct msg##SIZE {                                                                 \
        long mtype;                                                                    \
        uint64_t v[(SIZE) / 8];                                                        \
    };                                                                                 \
    /* Sends n messages; 0 or -errno. */                                               \
    int64_t msgq_produce##SUFFIX(int msqid, uint64_t first, uint64_t n) {              \
        struct msg##SIZE m = {1, {0}};                                                 \
        for (uint64_t i = first; i < first + n; i++) {                                 \
            m.v[0] = i;                                                                \
            while (msgsnd(msqid, &m, sizeof m.v, 0) != 0)                              \
                if (errno != EINTR) return -errno;                                     \
        }                                                                              \
        return 0;                                                                      \
    }                                                                                  \
    /* Receives n messages; the sum of their values, or (uint64_t)-1 on error. */      \
    uint64_t msgq_consume##SUFFIX(int msqid, uint64_t n) {                             \
        struct msg##SIZE m;                                                            \
        uint64_t sum = 0;                                                              \
        for (uint64_t i = 0; i < n; i++) {                                             \
            while (msgrcv(msqid, &m, sizeof m.v, 0, 0) != (ssize_t)sizeof m.v)         \
                if (errno != EINTR) return (uint64_t)-1;                               \
            sum += m.v[0];                                                             \
        }                                                                              \
        return sum;                                                                    \
    }

MSGQ_FUNCS(, 8)
MSGQ_FUNCS(64, 64)

int64_t pipe_produce(int fd, uint64_t first, uint64_t n) {
    for (uint64_t i = first; i < first + n; i++)
        while (write(fd, &i, sizeof i) != (ssize_t)sizeof i)
            if (errno != EINTR) return -errno;
    return 0;
}

uint64_t pipe_consume(int fd, uint64_t n) {
    uint64_t sum = 0, v;
    for (uint64_t i = 0; i < n; i++) {
        /* 8-byte writes to a pipe are atomic and never split (PIPE_BUF). */
        while (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            if (errno != EINTR) return (uint64_t)-1;
        sum += v;
    }
    return sum;
}

/* ---- seqlock over one 64-byte slot ---- */

/* Writes values first .. first + n - 1 (word 0 the counter, the others FILLER) into
 * the slot at `slot`: its sequence word, then eight value words. */
void tseq_write64(_Atomic uint64_t *slot, uint64_t first, uint64_t n) {
    uint64_t seq = atomic_load_explicit(&slot[0], memory_order_relaxed);
    seq += seq & 1;
    for (uint64_t i = first; i < first + n; i++) {
        atomic_store_explicit(&slot[0], seq + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        atomic_store_explicit(&slot[1], i, memory_order_relaxed);
        for (int w = 2; w < 9; w++)
            atomic_store_explicit(&slot[w], UINT64_C(0x0101010101010101), memory_order_relaxed);
        seq += 2;
        atomic_store_explicit(&slot[0], seq, memory_order_release);
    }
}

/* Reads the slot's value n times (retrying each until consistent); the sum of
 * every word of every copy. */
uint64_t tseq_read64(_Atomic uint64_t *slot, uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v[8], s1, s2;
        do {
            s1 = atomic_load_explicit(&slot[0], memory_order_acquire);
            for (int w = 0; w < 8; w++)
                v[w] = atomic_load_explicit(&slot[1 + w], memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            s2 = atomic_load_explicit(&slot[0], memory_order_relaxed);
        } while (s1 != s2 || (s1 & 1));
        for (int w = 0; w < 8; w++)
            sum += v[w];
    }
    return sum;
}
