/*
 * sysv_ipc_protocol.h: a C peer for sysv-ipc's Queue<T, MAXSZ>, SeqLock<T>,
 * Table<T, N>, Broadcast<T, N> and Mpsc<T, N>.
 *
 * Hand-written, and kept small: every number (offsets, magic, version, states,
 * semaphore numbers, barrier values, sizes) comes from the generated
 * sysv_ipc_layout.h. What is here is the protocol, mirroring src/layout/header.rs,
 * src/layout/ring.rs, src/layout/seqlock.rs, src/layout/table.rs,
 * src/layout/broadcast.rs, src/layout/mpsc.rs, src/queue.rs, src/seqlock.rs,
 * src/table.rs, src/broadcast.rs, src/mpsc.rs and src/park.rs operation for operation, with the same C11 memory orders. It implements layout
 * version 7 and refuses to compile against another (see SVIPC_PROTOCOL_VERSION).
 *
 * Use: define _GNU_SOURCE before any #include (semtimedop(2), syscall(2)), then
 * #include "sysv_ipc_protocol.h". Everything is `static`; Linux only (membarrier).
 *
 *   struct svipc_queue q;
 *   int r = svipc_queue_open(&q, key, SVIPC_TYPE(MY_TYPE_ID, struct item), 64, 1000);
 *   if (r == SVIPC_OK) r = svipc_queue_producer(&q, 0);
 *   if (r == SVIPC_OK) r = svipc_queue_enqueue_wait(&q, &item, SVIPC_DEFAULT_SPINS, NULL);
 *   if (r == SVIPC_OK) svipc_queue_producer_close(&q);  (end of stream, if done)
 *   svipc_queue_close(&q);
 *
 * The _open functions find the segment and the semaphore set by the key the Rust
 * side created them with. A queue made with Key::PRIVATE has no key: pass its two
 * ids (Queue::segment().id(), Queue::semaphores().id()) to the _open_ids forms.
 *
 * Nothing read from the segment is trusted: the header is compared, never used as
 * a size; each index is read once, checked (tail - head <= capacity), and masked
 * with the caller's capacity; a peer writing garbage makes a call return
 * SVIPC_E_CORRUPT or SVIPC_E_MISMATCH, never read or write out of bounds.
 *
 * References: shmget(2), shmat(2), shmctl(2), semget(2), semop(2), semtimedop(2)
 * (IPC_NOWAIT, SEM_UNDO: "automatically undone when the process terminates"),
 * semctl(2), membarrier(2) (MEMBARRIER_CMD_GLOBAL_EXPEDITED and its registration),
 * C11 7.17 (atomic_load_explicit, atomic_thread_fence, atomic_signal_fence).
 */
#ifndef SYSV_IPC_PROTOCOL_H
#define SYSV_IPC_PROTOCOL_H

#include "sysv_ipc_layout.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The layout version this file implements: a generated header for another one
 * means the protocol changed, and the code below must be updated with it. */
#define SVIPC_PROTOCOL_VERSION 7
_Static_assert(SVIPC_LAYOUT_VERSION == SVIPC_PROTOCOL_VERSION,
               "sysv_ipc_protocol.h implements layout version 7: update it to the "
               "protocol of the SVIPC_LAYOUT_VERSION in sysv_ipc_layout.h");

/* Results: >= 0 success, < 0 failure. */
enum {
    SVIPC_OK = 0,
    SVIPC_WOULD_BLOCK = 1,       /* enqueue: full; dequeue: empty */
    SVIPC_E_SYS = -1,            /* a system call failed: errno says why (EINTR, EIDRM...) */
    SVIPC_E_NOT_READY = -2,      /* the header's state stayed 0 or 1 */
    SVIPC_E_MISMATCH = -3,       /* ->mismatch names the field that differs */
    SVIPC_E_CORRUPT = -4,        /* a state or index no correct peer writes */
    SVIPC_E_ROLE_TAKEN = -5,     /* a live process holds the role */
    SVIPC_E_ROLE_ABANDONED = -6, /* its last holder died; pass reclaim = 1 to take over */
    SVIPC_E_UNSUPPORTED = -7,    /* asymmetric ring, and membarrier registration failed */
    SVIPC_E_BUSY = -8,           /* seqlock: every read attempt met a write */
    SVIPC_E_TIMED_OUT = -9,      /* a timed park ran out */
    SVIPC_E_ARG = -10,           /* the caller's mistake (capacity not a power of two...) */
    SVIPC_E_CLOSED = -11,        /* the producer closed the queue: dequeue, once it is
                                  * empty; claiming the producer role, always */
    SVIPC_E_LAGGED = -12,        /* broadcast reader: lapped, ->missed values skipped */
    SVIPC_E_PEER_DIED = -13      /* a blocking call's peer died holding its role (Mpsc) */
};

static inline const char *svipc_strerror(int r) {
    switch (r) {
    case SVIPC_OK: return "ok";
    case SVIPC_WOULD_BLOCK: return "would block";
    case SVIPC_E_SYS: return "system call failed";
    case SVIPC_E_NOT_READY: return "not ready";
    case SVIPC_E_MISMATCH: return "layout mismatch";
    case SVIPC_E_CORRUPT: return "corrupt";
    case SVIPC_E_ROLE_TAKEN: return "role taken";
    case SVIPC_E_ROLE_ABANDONED: return "role abandoned";
    case SVIPC_E_UNSUPPORTED: return "unsupported";
    case SVIPC_E_BUSY: return "busy";
    case SVIPC_E_TIMED_OUT: return "timed out";
    case SVIPC_E_ARG: return "invalid argument";
    case SVIPC_E_CLOSED: return "closed";
    case SVIPC_E_LAGGED: return "lagged";
    case SVIPC_E_PEER_DIED: return "peer died";
    default: return "?";
    }
}

/* A type as the Rust side knows it: its ShmType::TYPE_ID, size and alignment. */
struct svipc_type {
    uint64_t id;
    uint64_t size;
    uint64_t align;
};
#define SVIPC_TYPE(type_id, ctype) \
    ((struct svipc_type){(type_id), sizeof(ctype), _Alignof(ctype)})

/* type_id(name): 64-bit FNV-1a of the name's bytes (ShmType::TYPE_ID's usual form). */
static inline uint64_t svipc_type_id(const char *name) {
    uint64_t h = SVIPC_FNV1A64_BASIS;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * SVIPC_FNV1A64_PRIME;
    return h;
}

/* ---- internals: words, barriers, system calls ---- */

static inline void svipc_relax_(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* n bytes of src into whole words, the last one padded with zeros (relaxed). */
static inline void svipc_store_words_(_Atomic uint64_t *dst, const void *src, uint64_t n) {
    const unsigned char *s = src;
    for (uint64_t off = 0; off < n; off += SVIPC_WORD, dst++) {
        uint64_t w = 0;
        memcpy(&w, s + off, n - off < SVIPC_WORD ? n - off : SVIPC_WORD);
        atomic_store_explicit(dst, w, memory_order_relaxed);
    }
}

/* n bytes into dst from whole words (relaxed). */
static inline void svipc_load_words_(void *dst, _Atomic uint64_t *src, uint64_t n) {
    unsigned char *d = dst;
    for (uint64_t off = 0; off < n; off += SVIPC_WORD, src++) {
        uint64_t w = atomic_load_explicit(src, memory_order_relaxed);
        memcpy(d + off, &w, n - off < SVIPC_WORD ? n - off : SVIPC_WORD);
    }
}

static inline int svipc_membarrier_(int cmd) {
    return syscall(SYS_membarrier, cmd, 0) == 0 ? SVIPC_OK : SVIPC_E_SYS;
}

/* semctl's fourth argument, which the caller declares (semctl(2)). */
union svipc_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static inline int svipc_semop_(int semid, unsigned short num, short op, short flags) {
    struct sembuf b = {.sem_num = num, .sem_op = op, .sem_flg = flags};
    return semop(semid, &b, 1) == 0 ? SVIPC_OK : SVIPC_E_SYS;
}

/* Wakes the waiter a flag's announcement `taken` names, after the exchange that
 * cleared the flag (wake_peer): SVIPC_WAITING_WORD a futex wake on the flag's low
 * half, which is its first 4 bytes on the little-endian machines this header
 * supports (an asynchronous waiter sleeps there); anything else non-zero one post
 * of semaphore sem. The value is committed whatever happens here; a removed set
 * is the waiter's to report. */
static inline void svipc_wake_taken_(int semid, unsigned short sem, _Atomic uint64_t *flag,
                                     uint64_t taken) {
    if (taken & SVIPC_WAITING_WORD)
        syscall(SYS_futex, (uint32_t *)flag, 1 /* FUTEX_WAKE, shared */, INT_MAX, NULL, NULL, 0);
    if (taken & ~SVIPC_WAITING_WORD)
        svipc_semop_(semid, sem, 1, 0);
}

/* The writer's wake check of a single-writer layout (seqlock, table; layout
 * version 7, src/layout/watch.rs), after the store that published a write: a
 * seq_cst fence (pairs with the watcher's after its announcement), then one load
 * of the shared watchers word. Its low 32 bits are a wake epoch (bits 1..31) and
 * SVIPC_WATCHED (bit 0: a watcher may sleep on the low half). If the bit is set,
 * a CAS moves the word to the next epoch with the bit clear, and a futex wake
 * wakes every watcher. No system call when nobody watches. */
#define SVIPC_WATCHED UINT64_C(1)
static inline void svipc_wake_watchers_(_Atomic uint64_t *watchers) {
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t w = atomic_load_explicit(watchers, memory_order_relaxed);
    if (!(w & SVIPC_WATCHED))
        return;
    /* A watcher's fetch_or in between fails the exchange; retry from its value. */
    while (!atomic_compare_exchange_weak_explicit(
        watchers, &w, (uint64_t)(((uint32_t)w & ~(uint32_t)SVIPC_WATCHED) + 2u),
        memory_order_relaxed, memory_order_relaxed))
        ;
    syscall(SYS_futex, (uint32_t *)watchers, 1 /* FUTEX_WAKE, shared */, INT_MAX, NULL, NULL, 0);
}

/* ---- the header handshake (src/layout/header.rs) ---- */

/* What the header must say, computed by the joiner. */
struct svipc_shape {
    uint64_t kind, data_offset, type_size, type_align, type_id, capacity, total_size;
};

/* Maps segment shmid after checking that its header matches `want`, then opens the
 * semaphore set semid (nsems semaphores, initialised, made by the same user).
 * wait_ms bounds each wait (header ready, semaphores initialised). shmflg:
 * SHM_RDONLY for a reader that needs only read permission (every access here is a
 * load then: a 64-bit acquire load is a plain load on x86_64 and aarch64). */
static inline int svipc_join_flags_(int shmid, int semid, const struct svipc_shape *want,
                                    int nsems, unsigned wait_ms, int shmflg, void **base,
                                    const char **mismatch) {
    struct shmid_ds ds;
    *mismatch = NULL;
    if (shmctl(shmid, IPC_STAT, &ds) != 0)
        return SVIPC_E_SYS;
    if (ds.shm_segsz < want->data_offset) {
        *mismatch = "size";
        return SVIPC_E_MISMATCH;
    }
    void *p = shmat(shmid, NULL, shmflg);
    if (p == (void *)-1)
        return SVIPC_E_SYS;
    struct svipc_header *h = p;
    int r = SVIPC_OK;
    for (unsigned attempt = 0;; attempt++) {
        /* Acquire: pairs with the creator's release store of READY. */
        uint64_t state = atomic_load_explicit(&h->state, memory_order_acquire);
        if (state == SVIPC_STATE_READY)
            break;
        if (state != SVIPC_STATE_UNINIT && state != SVIPC_STATE_INITIALIZING) {
            r = SVIPC_E_CORRUPT;
            goto fail;
        }
        if (attempt >= wait_ms) {
            r = SVIPC_E_NOT_READY;
            goto fail;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    /* Each field read once (relaxed: ordered by the acquire above), compared in the
     * order Header::check uses. */
    const struct {
        const char *name;
        _Atomic uint64_t *field;
        uint64_t want;
    } fields[] = {
        {"magic", &h->magic, SVIPC_MAGIC},
        {"layout_version", &h->layout_version, SVIPC_LAYOUT_VERSION},
        {"kind", &h->kind, want->kind},
        {"data_offset", &h->data_offset, want->data_offset},
        {"type_size", &h->type_size, want->type_size},
        {"type_align", &h->type_align, want->type_align},
        {"type_id", &h->type_id, want->type_id},
        {"capacity", &h->capacity, want->capacity},
        {"total_size", &h->total_size, want->total_size},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (atomic_load_explicit(fields[i].field, memory_order_relaxed) != fields[i].want) {
            *mismatch = fields[i].name;
            r = SVIPC_E_MISMATCH;
            goto fail;
        }
    }
    if (ds.shm_segsz < want->total_size) {
        *mismatch = "size";
        r = SVIPC_E_MISMATCH;
        goto fail;
    }
    /* The semaphores: initialised (sem_otime set by the creator's first semop), of
     * the layout's number, and made by the segment's creator (not a squatter). */
    for (unsigned attempt = 0;; attempt++) {
        struct semid_ds sds;
        if (semctl(semid, 0, IPC_STAT, (union svipc_semun){.buf = &sds}) != 0) {
            r = SVIPC_E_SYS;
            goto fail;
        }
        if (sds.sem_nsems != (unsigned long)nsems || sds.sem_perm.cuid != ds.shm_perm.cuid) {
            *mismatch = "semaphores";
            r = SVIPC_E_MISMATCH;
            goto fail;
        }
        if (sds.sem_otime != 0)
            break;
        if (attempt >= wait_ms) {
            r = SVIPC_E_NOT_READY;
            goto fail;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    *base = p;
    return SVIPC_OK;
fail:;
    int saved = errno;
    shmdt(p);
    errno = saved;
    return r;
}

/* svipc_join_flags_ attaching read-write. */
static inline int svipc_join_(int shmid, int semid, const struct svipc_shape *want, int nsems,
                              unsigned wait_ms, void **base, const char **mismatch) {
    return svipc_join_flags_(shmid, semid, want, nsems, wait_ms, 0, base, mismatch);
}

/* Claims role semaphore `sem` (IPC_NOWAIT | SEM_UNDO) and records our pid in
 * pid_word; src/queue.rs `claim`. */
static inline int svipc_claim_(int semid, unsigned short sem, _Atomic uint64_t *pid_word,
                               int reclaim) {
    if (svipc_semop_(semid, sem, -1, IPC_NOWAIT | SEM_UNDO) != SVIPC_OK)
        return errno == EAGAIN ? SVIPC_E_ROLE_TAKEN : SVIPC_E_SYS;
    /* Acquire: pairs with the release store of 0 by a holder that released cleanly. */
    uint64_t previous = atomic_load_explicit(pid_word, memory_order_acquire);
    if (previous != 0 && !reclaim) {
        svipc_semop_(semid, sem, 1, SEM_UNDO);
        return SVIPC_E_ROLE_ABANDONED;
    }
    /* Relaxed: a marker; the semaphore is the lock. */
    atomic_store_explicit(pid_word, (uint64_t)getpid(), memory_order_relaxed);
    return SVIPC_OK;
}

/* Releases a role claimed by process `pid` (not in a child that inherited it). */
static inline void svipc_release_(int semid, unsigned short sem, _Atomic uint64_t *pid_word,
                                  pid_t pid) {
    if (getpid() != pid)
        return;
    /* Release: our last stores happen before the next holder's acquire in claim. */
    atomic_store_explicit(pid_word, 0, memory_order_release);
    svipc_semop_(semid, sem, 1, SEM_UNDO);
}

/* ---- parking with a deadline (src/park.rs) ----
 *
 * The blocking calls of Broadcast's lossless writer and of Mpsc take a timeout for the
 * whole call (NULL: none): a deadline on CLOCK_MONOTONIC. Each park waits at most what
 * is left of it and at most SVIPC_PEER_CHECK_MS, after which the caller asks whether
 * its peer died and re-checks (Rust's default peer_check). */

#define SVIPC_PEER_CHECK_MS 100
/* svipc_park_: the check interval ran out (internal; not a result of the API). */
#define SVIPC_PARK_INTERVAL_ 2

struct svipc_deadline_ {
    int has;
    struct timespec at;
};

static inline int svipc_deadline_start_(struct svipc_deadline_ *d, const struct timespec *timeout) {
    d->has = timeout != NULL;
    if (!d->has)
        return SVIPC_OK;
    if (clock_gettime(CLOCK_MONOTONIC, &d->at) != 0)
        return SVIPC_E_SYS;
    d->at.tv_sec += timeout->tv_sec;
    d->at.tv_nsec += timeout->tv_nsec;
    while (d->at.tv_nsec >= 1000000000L) {
        d->at.tv_nsec -= 1000000000L;
        d->at.tv_sec++;
    }
    return SVIPC_OK;
}

/* Nanoseconds left before the deadline into *ns (0: passed; UINT64_MAX: none). */
static inline int svipc_deadline_left_(const struct svipc_deadline_ *d, uint64_t *ns) {
    if (!d->has) {
        *ns = UINT64_MAX;
        return SVIPC_OK;
    }
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return SVIPC_E_SYS;
    int64_t left = ((int64_t)d->at.tv_sec - (int64_t)now.tv_sec) * 1000000000 +
                   ((int64_t)d->at.tv_nsec - (int64_t)now.tv_nsec);
    *ns = left > 0 ? (uint64_t)left : 0;
    return SVIPC_OK;
}

/* Parks on semaphore sem (semop -1) for at most the check interval and what is left
 * of the deadline: SVIPC_OK (posted, or a signal or a stop ended the wait: the caller
 * re-checks, as a Rust call that was not asked to be interruptible), SVIPC_PARK_INTERVAL_
 * (the interval ran out: the caller asks after its peer, then re-checks),
 * SVIPC_E_TIMED_OUT (the deadline passed) or SVIPC_E_SYS. SemPark::park. */
static inline int svipc_park_(int semid, unsigned short sem, const struct svipc_deadline_ *d) {
    uint64_t left;
    if (svipc_deadline_left_(d, &left) != SVIPC_OK)
        return SVIPC_E_SYS;
    if (left == 0)
        return SVIPC_E_TIMED_OUT;
    uint64_t check = (uint64_t)SVIPC_PEER_CHECK_MS * 1000000;
    uint64_t wait = left < check ? left : check;
    struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000), .tv_nsec = (long)(wait % 1000000000)};
    struct sembuf b = {.sem_num = sem, .sem_op = -1, .sem_flg = 0};
    if (semtimedop(semid, &b, 1, &ts) == 0 || errno == EINTR)
        return SVIPC_OK;
    if (errno != EAGAIN)
        return SVIPC_E_SYS;
    return wait == left ? SVIPC_E_TIMED_OUT : SVIPC_PARK_INTERVAL_;
}

/* The light side of the wake check, after a store a parked peer waits for: on an
 * asymmetric ring a compiler barrier only (it keeps the store before the flag load;
 * the parking side's membarrier supplies the hardware barrier), else a seq_cst fence
 * that pairs with the parking side's before its re-check. */
static inline void svipc_light_(int asymmetric) {
    if (asymmetric)
        atomic_signal_fence(memory_order_seq_cst);
    else
        atomic_thread_fence(memory_order_seq_cst);
}

/* svipc_block_'s re-check: room or a value appeared, attempt again (internal). */
#define SVIPC_AGAIN_ 3

/* The heavy barrier of a park, after announcing it and before re-checking: a
 * membarrier on an asymmetric ring (the waker's light side is a compiler barrier), a
 * seq_cst fence otherwise. SVIPC_OK or SVIPC_E_SYS (membarrier failed). */
static inline int svipc_heavy_(int asymmetric) {
    if (asymmetric)
        return svipc_membarrier_(SVIPC_MEMBARRIER_CMD_GLOBAL_EXPEDITED);
    atomic_thread_fence(memory_order_seq_cst);
    return SVIPC_OK;
}

/* One side of a blocking call with a deadline and peer checks (the Broadcast writer,
 * an Mpsc producer, the Mpsc consumer), as the Rust Waiter traits; its hooks take the
 * waiter, whose side and item are the handle and the caller's value. */
struct svipc_waiter_ {
    void *side;
    void *item;
    int semid;
    unsigned short own;        /* the semaphore the side parks on */
    int asymmetric;            /* its heavy barrier (svipc_heavy_) */
    _Atomic uint64_t *waiting; /* where it announces a park */
    uint64_t bit;              /* its bit there (a producer's), or 0: the word is its own */
    int clear_by_store;        /* un-announces with a store (the writer's), not an exchange */
    int check_after_wake;      /* a wake that brought nothing runs the peer check */
    uint64_t *parks, *wakes;   /* statistics */
    /* Tries once: SVIPC_WOULD_BLOCK (nothing yet) or the call's result. */
    int (*attempt)(struct svipc_waiter_ *w);
    /* After the barrier: SVIPC_WOULD_BLOCK (park), SVIPC_AGAIN_ or the call's result. */
    int (*recheck)(struct svipc_waiter_ *w);
    /* The peer check: 1 if the peer died (the call ends with SVIPC_E_PEER_DIED after a
     * last attempt), else 0. */
    int (*peer_died)(struct svipc_waiter_ *w);
};

/* Announces a park: relaxed, ordered by the barrier that follows. An exchange on a
 * word of its own, as Rust's `announce` (it lands after the waker's clearing
 * exchange); a producer's read-modify-write leaves the other producers' bits. */
static inline void svipc_announce_(struct svipc_waiter_ *w) {
    if (w->bit != 0)
        atomic_fetch_or_explicit(w->waiting, w->bit, memory_order_relaxed);
    else
        atomic_exchange_explicit(w->waiting, SVIPC_WAITING_SEM, memory_order_relaxed);
}

/* After a park returned: clears the announcement (nothing owed that we know).
 * Relaxed: it only un-announces. The writer's Waiter::unannounce stores; the
 * consumer's Waiter::clear exchanges (it says why); a producer's clears its bit. */
static inline void svipc_unannounce_(struct svipc_waiter_ *w) {
    if (w->bit != 0)
        atomic_fetch_and_explicit(w->waiting, ~w->bit, memory_order_relaxed);
    else if (w->clear_by_store)
        atomic_store_explicit(w->waiting, 0, memory_order_relaxed);
    else
        atomic_exchange_explicit(w->waiting, 0, memory_order_relaxed);
}

/* Not parking (any more): takes the announcement back without sleeping; a wake the
 * other side already took it for is absorbed. Relaxed: atomicity alone decides who
 * took it (this or the waker's exchange). withdraw in src/layout/ring.rs, the
 * producer's Waiter::withdraw in src/layout/mpsc.rs. */
static inline void svipc_withdraw_(struct svipc_waiter_ *w) {
    uint64_t had =
        w->bit != 0 ? atomic_fetch_and_explicit(w->waiting, ~w->bit, memory_order_relaxed) & w->bit
                    : atomic_exchange_explicit(w->waiting, 0, memory_order_relaxed);
    if (had == 0)
        svipc_semop_(w->semid, w->own, -1, IPC_NOWAIT);
}

/* After the peer died: a last look, so that what came before the death is used. */
static inline int svipc_last_look_(struct svipc_waiter_ *w) {
    int r = w->attempt(w);
    return r == SVIPC_WOULD_BLOCK ? SVIPC_E_PEER_DIED : r;
}

/* The blocking loop: attempt, spin `spins` times, then announce, barrier, re-check,
 * park with the deadline of timeout (NULL: none) for at most SVIPC_PEER_CHECK_MS,
 * un-announce or withdraw, and ask after the peer when a wait ran out. block_on in
 * src/layout/broadcast.rs and block in src/layout/mpsc.rs, each park SemPark::park. */
static inline int svipc_block_(struct svipc_waiter_ *w, unsigned spins,
                               const struct timespec *timeout) {
    struct svipc_deadline_ d;
    if (svipc_deadline_start_(&d, timeout) != SVIPC_OK)
        return SVIPC_E_SYS;
    int woken = 0;
    for (unsigned spun = 0;;) {
        int r = w->attempt(w);
        if (r != SVIPC_WOULD_BLOCK)
            return r;
        if (woken) {
            /* Woken, and still nothing: the post may be a peer's death (the post a
             * lossless reader arms, applied at its exit). Ask after the peer, look
             * again (SemPark::park's check after a wake that brought nothing). */
            woken = 0;
            if (w->peer_died(w))
                return svipc_last_look_(w);
            continue;
        }
        if (spun >= spins) {
            uint64_t left;
            if (svipc_deadline_left_(&d, &left) != SVIPC_OK)
                return SVIPC_E_SYS;
            if (left == 0)
                return w->peer_died(w) ? SVIPC_E_PEER_DIED : SVIPC_E_TIMED_OUT;
        }
        if (spun < spins) {
            spun++;
            svipc_relax_();
            continue;
        }
        svipc_announce_(w);
        /* Pairs with the light barrier after the store the other side wakes us for
         * (each kind's wake check). */
        if (svipc_heavy_(w->asymmetric) != SVIPC_OK) {
            svipc_withdraw_(w);
            return SVIPC_E_SYS;
        }
        r = w->recheck(w);
        if (r != SVIPC_WOULD_BLOCK) {
            svipc_withdraw_(w);
            if (r == SVIPC_AGAIN_)
                continue;
            return r;
        }
        (*w->parks)++;
        int p = svipc_park_(w->semid, w->own, &d);
        *w->wakes += p == SVIPC_OK;
        woken = w->check_after_wake && p == SVIPC_OK;
        if (p == SVIPC_OK || p == SVIPC_PARK_INTERVAL_)
            svipc_unannounce_(w);
        else
            svipc_withdraw_(w);
        if (p == SVIPC_PARK_INTERVAL_ || p == SVIPC_E_TIMED_OUT) {
            if (w->peer_died(w))
                return svipc_last_look_(w);
            if (p == SVIPC_E_TIMED_OUT)
                return p;
        } else if (p != SVIPC_OK) {
            return p;
        }
    }
}

/* A role's seat is abandoned: its pid word says a holder, and its semaphore is free
 * (the kernel undid a dead holder's claim). Seat::abandoned. */
static inline int svipc_seat_abandoned_(int semid, unsigned short sem, _Atomic uint64_t *pid_word) {
    /* Relaxed (both): markers; the semaphore is the truth. */
    uint64_t pid = atomic_load_explicit(pid_word, memory_order_relaxed);
    if (pid == 0)
        return 0;
    int v = semctl(semid, sem, GETVAL);
    return v > 0 && atomic_load_explicit(pid_word, memory_order_relaxed) == pid;
}

/* ---- Queue<T, MAXSZ> (src/layout/ring.rs, src/queue.rs) ---- */

struct svipc_queue {
    struct svipc_ring_ctl *ctl; /* the mapping */
    int shmid, semid;
    uint64_t capacity;          /* the caller's MAXSZ, equal to the header's */
    uint64_t type_size;
    const char *mismatch;       /* after SVIPC_E_MISMATCH: the field */
    /* The role this process holds: 0, SVIPC_QUEUE_SEM_PRODUCER or _CONSUMER. */
    int role;
    pid_t pid;
    int asymmetric;             /* the barrier word, read once when the role was taken */
    uint64_t own;               /* producer: tail, consumer: head; never re-read */
    uint64_t cached;            /* producer: last head read, consumer: last tail read */
    int closed;                 /* consumer: the producer closed; cached is its final tail */
};

/* Joins the queue of segment shmid and semaphore set semid, holding values of
 * type t, capacity slots (a power of two). wait_ms bounds the waits for the creator. */
static inline int svipc_queue_open_ids(struct svipc_queue *q, int shmid, int semid,
                                       struct svipc_type t, uint64_t capacity,
                                       unsigned wait_ms) {
    memset(q, 0, sizeof *q);
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || t.size == 0)
        return SVIPC_E_ARG;
    struct svipc_shape want = {
        .kind = SVIPC_KIND_RING,
        .data_offset = SVIPC_RING_DATA_OFFSET,
        .type_size = t.size,
        .type_align = t.align,
        .type_id = SVIPC_FINGERPRINT(t.id, t.size, t.align),
        .capacity = capacity,
        .total_size = SVIPC_RING_TOTAL_SIZE(capacity, t.size),
    };
    void *base;
    int r = svipc_join_(shmid, semid, &want, SVIPC_QUEUE_NSEMS, wait_ms, &base, &q->mismatch);
    if (r != SVIPC_OK)
        return r;
    q->ctl = base;
    q->shmid = shmid;
    q->semid = semid;
    q->capacity = capacity;
    q->type_size = t.size;
    return SVIPC_OK;
}

/* Joins the queue of `key` (its segment and semaphore set). */
static inline int svipc_queue_open(struct svipc_queue *q, key_t key, struct svipc_type t,
                                   uint64_t capacity, unsigned wait_ms) {
    int shmid = shmget(key, 0, 0);
    int semid = shmid < 0 ? -1 : semget(key, 0, 0);
    if (semid < 0) {
        memset(q, 0, sizeof *q);
        return SVIPC_E_SYS;
    }
    return svipc_queue_open_ids(q, shmid, semid, t, capacity, wait_ms);
}

/* The seq word of the slot of message index; the value's words follow it. */
static inline _Atomic uint64_t *svipc_queue_slot_(struct svipc_queue *q, uint64_t index) {
    /* Masked with the caller's capacity: in bounds whatever index is. */
    return (_Atomic uint64_t *)((unsigned char *)q->ctl +
                                SVIPC_RING_SLOT_OFFSET(q->capacity, q->type_size, index));
}

static inline _Atomic uint64_t *svipc_queue_pid_word_(struct svipc_queue *q, int role) {
    return role == SVIPC_QUEUE_SEM_PRODUCER ? &q->ctl->producer_pid : &q->ctl->consumer_pid;
}

/* Takes role SVIPC_QUEUE_SEM_PRODUCER or _CONSUMER; reclaim takes over an abandoned
 * one. Mirrors Queue::producer_with / consumer_with and RingProducer::new. */
static inline int svipc_queue_take_(struct svipc_queue *q, int role, int reclaim) {
    if (q->ctl == NULL || q->role != 0)
        return SVIPC_E_ARG;
    _Atomic uint64_t *pid_word = svipc_queue_pid_word_(q, role);
    int r = svipc_claim_(q->semid, (unsigned short)role, pid_word, reclaim);
    if (r != SVIPC_OK)
        return r;
    pid_t pid = getpid();
    /* Acquire (both): pair with the release stores of the roles' previous holders. */
    uint64_t tail, head;
    if (role == SVIPC_QUEUE_SEM_PRODUCER) {
        tail = atomic_load_explicit(&q->ctl->tail, memory_order_acquire);
        head = atomic_load_explicit(&q->ctl->head, memory_order_acquire);
    } else {
        head = atomic_load_explicit(&q->ctl->head, memory_order_acquire);
        tail = atomic_load_explicit(&q->ctl->tail, memory_order_acquire);
    }
    if (tail - head > q->capacity) {
        r = SVIPC_E_CORRUPT;
        goto fail;
    }
    /* Closed is for good: no producer after a close. Read while holding the role
     * (a closing producer stores it before releasing); acquire, as RingCtl::is_closed. */
    if (role == SVIPC_QUEUE_SEM_PRODUCER) {
        uint64_t closed = atomic_load_explicit(&q->ctl->closed, memory_order_acquire);
        if (closed != SVIPC_RING_OPEN) {
            r = closed == SVIPC_RING_CLOSED ? SVIPC_E_CLOSED : SVIPC_E_CORRUPT;
            goto fail;
        }
    }
    /* A new producer marks the committed messages head..tail as one publish (a
     * predecessor killed between its tail and seq stores left them unmarked): tail
     * into the seq of head's slot, as RingProducer::new does; release, after the
     * acquire of tail above. */
    if (role == SVIPC_QUEUE_SEM_PRODUCER && tail != head)
        atomic_store_explicit(
            (_Atomic uint64_t *)((unsigned char *)q->ctl +
                                 SVIPC_RING_SLOT_OFFSET(q->capacity, q->type_size, head)),
            tail, memory_order_release);
    /* Relaxed: written before READY, read after the acquire of READY. */
    q->asymmetric =
        atomic_load_explicit(&q->ctl->barrier, memory_order_relaxed) == SVIPC_BARRIER_ASYMMETRIC;
    /* On an asymmetric ring the peer's parks rely on our registration. */
    if (q->asymmetric &&
        svipc_membarrier_(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != SVIPC_OK) {
        r = SVIPC_E_UNSUPPORTED;
        goto fail;
    }
    q->role = role;
    q->pid = pid;
    q->own = role == SVIPC_QUEUE_SEM_PRODUCER ? tail : head;
    q->cached = role == SVIPC_QUEUE_SEM_PRODUCER ? head : tail;
    q->closed = 0;
    return SVIPC_OK;
fail:
    svipc_release_(q->semid, (unsigned short)role, pid_word, pid);
    return r;
}

static inline int svipc_queue_producer(struct svipc_queue *q, int reclaim) {
    return svipc_queue_take_(q, SVIPC_QUEUE_SEM_PRODUCER, reclaim);
}

static inline int svipc_queue_consumer(struct svipc_queue *q, int reclaim) {
    return svipc_queue_take_(q, SVIPC_QUEUE_SEM_CONSUMER, reclaim);
}

/* Gives the role back (clean release: the next holder is not told "abandoned"). */
static inline void svipc_queue_release(struct svipc_queue *q) {
    if (q->role != 0)
        svipc_release_(q->semid, (unsigned short)q->role, svipc_queue_pid_word_(q, q->role),
                       q->pid);
    q->role = 0;
}

/* Releases the role, detaches. */
static inline void svipc_queue_close(struct svipc_queue *q) {
    svipc_queue_release(q);
    if (q->ctl != NULL)
        shmdt(q->ctl);
    q->ctl = NULL;
}

/* Consumer, having loaded tail and found nothing: whether the producer closed
 * (acquire, pairs with its release store in svipc_queue_producer_close); if so,
 * load tail again (acquire: now the final one) into *room and cached, and record
 * the close. RingConsumer::load_tail. */
static inline int svipc_queue_closed_tail_(struct svipc_queue *q, uint64_t *room) {
    uint64_t closed = atomic_load_explicit(&q->ctl->closed, memory_order_acquire);
    if (closed == SVIPC_RING_OPEN)
        return SVIPC_OK;
    if (closed != SVIPC_RING_CLOSED)
        return SVIPC_E_CORRUPT;
    uint64_t tail = atomic_load_explicit(&q->ctl->tail, memory_order_acquire);
    if (tail - q->own > q->capacity)
        return SVIPC_E_CORRUPT;
    q->cached = tail;
    q->closed = 1;
    *room = tail - q->own;
    return SVIPC_OK;
}

/* Messages the peer has left us room for (producer: free slots; consumer: messages),
 * reloading the peer's index only when the cache shows none; `used` and `free`
 * of RingProducer / `available` of RingConsumer. */
static inline int svipc_queue_room_(struct svipc_queue *q, uint64_t *room) {
    int producer = q->role == SVIPC_QUEUE_SEM_PRODUCER;
    uint64_t used = producer ? q->own - q->cached : q->cached - q->own;
    if (used > q->capacity)
        return SVIPC_E_CORRUPT;
    *room = producer ? q->capacity - used : used;
    if (*room > 0)
        return SVIPC_OK;
    /* Acquire: pairs with the peer's release store of its index, so (producer) its
     * reads of the slots we may now overwrite are done, or (consumer) the slots it
     * published are visible. Read once, then checked. */
    uint64_t peer = atomic_load_explicit(producer ? &q->ctl->head : &q->ctl->tail,
                                         memory_order_acquire);
    used = producer ? q->own - peer : peer - q->own;
    if (used > q->capacity)
        return SVIPC_E_CORRUPT;
    q->cached = peer;
    *room = producer ? q->capacity - used : used;
    if (producer || *room > 0 || q->closed)
        return SVIPC_OK;
    return svipc_queue_closed_tail_(q, room);
}

/* After storing our index: wakes the peer if it announced a park (take_waiter). */
static inline void svipc_queue_wake_peer_(struct svipc_queue *q) {
    int producer = q->role == SVIPC_QUEUE_SEM_PRODUCER;
    _Atomic uint64_t *flag = producer ? &q->ctl->consumer_waiting : &q->ctl->producer_waiting;
    /* Pairs with the heavy barrier in the other side's prepare_park. */
    svipc_light_(q->asymmetric);
    /* Relaxed, ordered by the barriers; the exchange wakes once per park. */
    if (atomic_load_explicit(flag, memory_order_relaxed) != 0)
        svipc_wake_taken_(q->semid, producer ? SVIPC_QUEUE_SEM_ITEMS : SVIPC_QUEUE_SEM_SPACE, flag,
                          atomic_exchange_explicit(flag, 0, memory_order_relaxed));
}

/* Enqueues one value of type_size bytes: SVIPC_OK, SVIPC_WOULD_BLOCK (full), or an
 * error. Never blocks. RingProducer::push with one message. */
static inline int svipc_queue_enqueue(struct svipc_queue *q, const void *item) {
    if (q->role != SVIPC_QUEUE_SEM_PRODUCER)
        return SVIPC_E_ARG;
    uint64_t room;
    int r = svipc_queue_room_(q, &room);
    if (r != SVIPC_OK || room == 0)
        return r != SVIPC_OK ? r : SVIPC_WOULD_BLOCK;
    _Atomic uint64_t *slot = svipc_queue_slot_(q, q->own);
    svipc_store_words_(slot + 1, item, q->type_size);
    q->own += 1;
    /* Release: publishes the slot; pairs with the consumer's acquire load of tail. */
    atomic_store_explicit(&q->ctl->tail, q->own, memory_order_release);
    /* Then the slot's seq (release), after tail: the end of this one-message
     * publish; a consumer that takes the message on its seq never gets ahead of
     * tail. */
    atomic_store_explicit(slot, q->own, memory_order_release);
    svipc_queue_wake_peer_(q);
    return SVIPC_OK;
}

/* Dequeues one value into item (type_size bytes): SVIPC_OK, SVIPC_WOULD_BLOCK
 * (empty), or an error. Never blocks. RingConsumer::pop with one message. */
static inline int svipc_queue_dequeue(struct svipc_queue *q, void *item) {
    if (q->role != SVIPC_QUEUE_SEM_CONSUMER)
        return SVIPC_E_ARG;
    _Atomic uint64_t *slot = svipc_queue_slot_(q, q->own);
    uint64_t room = q->cached - q->own;
    /* None cached: the slot's seq (acquire, pairs with the producer's release store)
     * says whether message `own` is there, and up to where its publish went,
     * without loading tail. On a miss, load tail as always (simpler than Rust's
     * every-1024th-miss; a C consumer that spins on this call pays the producer's
     * line on each poll). */
    uint64_t published = 0;
    if (room == 0)
        published = atomic_load_explicit(slot, memory_order_acquire) - q->own;
    if (published - 1 < q->capacity) {
        q->cached = q->own + published;
    } else {
        int r = svipc_queue_room_(q, &room);
        if (r != SVIPC_OK || room == 0)
            return r != SVIPC_OK ? r : q->closed ? SVIPC_E_CLOSED : SVIPC_WOULD_BLOCK;
    }
    svipc_load_words_(item, slot + 1, q->type_size);
    q->own += 1;
    /* Release: our reads of the slot happen before the producer's acquire load of
     * head lets it overwrite the slot. */
    atomic_store_explicit(&q->ctl->head, q->own, memory_order_release);
    svipc_queue_wake_peer_(q);
    return SVIPC_OK;
}

/* Ends the stream and releases the producer role: the consumer dequeues what was
 * enqueued before, then gets SVIPC_E_CLOSED; a parked consumer is woken; no
 * producer can claim the role again. RingProducer::close and Producer::close. */
static inline int svipc_queue_producer_close(struct svipc_queue *q) {
    if (q->role != SVIPC_QUEUE_SEM_PRODUCER)
        return SVIPC_E_ARG;
    if (getpid() != q->pid)
        return SVIPC_E_ARG; /* a child that inherited the role through fork */
    /* Release: every tail store of ours happens before a consumer's acquire load of
     * closed that reads it. */
    atomic_store_explicit(&q->ctl->closed, SVIPC_RING_CLOSED, memory_order_release);
    /* Then the marker in the slot after the last message (release, after closed):
     * a polling consumer that reads it loads tail and closed at once. */
    atomic_store_explicit(svipc_queue_slot_(q, q->own), SVIPC_RING_CLOSED_SEQ,
                          memory_order_release);
    svipc_queue_wake_peer_(q);
    svipc_queue_release(q);
    return SVIPC_OK;
}

/* Announce, barrier, re-check: 1 still no room (park now), 0 room appeared (retry),
 * or an error (announcement withdrawn). prepare_park in src/layout/ring.rs. */
static inline int svipc_queue_prepare_park_(struct svipc_queue *q) {
    int producer = q->role == SVIPC_QUEUE_SEM_PRODUCER;
    _Atomic uint64_t *flag = producer ? &q->ctl->producer_waiting : &q->ctl->consumer_waiting;
    /* An exchange, as Rust's `announce`: lands after the waker's clearing exchange. */
    atomic_exchange_explicit(flag, SVIPC_WAITING_SEM, memory_order_relaxed);
    /* Pairs with the compiler barrier (asymmetric) or the seq_cst fence in the peer's
     * wake check. */
    if (svipc_heavy_(q->asymmetric) != SVIPC_OK) {
        atomic_store_explicit(flag, 0, memory_order_relaxed);
        return SVIPC_E_SYS;
    }
    uint64_t peer = atomic_load_explicit(producer ? &q->ctl->head : &q->ctl->tail,
                                         memory_order_acquire);
    uint64_t used = producer ? q->own - peer : peer - q->own;
    if (used > q->capacity) {
        atomic_store_explicit(flag, 0, memory_order_relaxed);
        return SVIPC_E_CORRUPT;
    }
    q->cached = peer;
    uint64_t room = used;
    /* The consumer's re-check reads closed too: a close ends the wait as a publish
     * does (the next dequeue takes what is left, or returns SVIPC_E_CLOSED). */
    if (!producer && used == 0) {
        int r = svipc_queue_closed_tail_(q, &room);
        if (r != SVIPC_OK) {
            atomic_store_explicit(flag, 0, memory_order_relaxed);
            return r;
        }
    }
    if (producer ? used < q->capacity : room > 0 || q->closed) {
        atomic_store_explicit(flag, 0, memory_order_relaxed);
        return 0;
    }
    return 1;
}

/* Waits on our semaphore until the peer's wake (or timeout, or a signal). */
static inline int svipc_queue_park_(struct svipc_queue *q, const struct timespec *timeout) {
    int producer = q->role == SVIPC_QUEUE_SEM_PRODUCER;
    struct sembuf b = {
        .sem_num = producer ? SVIPC_QUEUE_SEM_SPACE : SVIPC_QUEUE_SEM_ITEMS,
        .sem_op = -1,
        .sem_flg = 0,
    };
    int r = timeout != NULL ? semtimedop(q->semid, &b, 1, timeout) : semop(q->semid, &b, 1);
    int saved = errno;
    /* Un-announce (the waker may have cleared it already). */
    atomic_store_explicit(producer ? &q->ctl->producer_waiting : &q->ctl->consumer_waiting, 0,
                          memory_order_relaxed);
    errno = saved;
    if (r == 0)
        return SVIPC_OK;
    return timeout != NULL && saved == EAGAIN ? SVIPC_E_TIMED_OUT : SVIPC_E_SYS;
}

/* The blocking forms: spin `spins` times, then park while full (enqueue) or empty
 * (dequeue). timeout NULL: no limit; else each park is bounded by it. push_blocking /
 * pop_blocking in src/layout/ring.rs. */
static inline int svipc_queue_wait_(struct svipc_queue *q, void *item, unsigned spins,
                                    const struct timespec *timeout) {
    for (unsigned spun = 0;;) {
        int r = q->role == SVIPC_QUEUE_SEM_PRODUCER ? svipc_queue_enqueue(q, item)
                                                    : svipc_queue_dequeue(q, item);
        if (r != SVIPC_WOULD_BLOCK)
            return r;
        if (spun < spins) {
            spun++;
            svipc_relax_();
            continue;
        }
        r = svipc_queue_prepare_park_(q);
        if (r < 0)
            return r;
        if (r == 1 && (r = svipc_queue_park_(q, timeout)) != SVIPC_OK)
            return r;
    }
}

static inline int svipc_queue_enqueue_wait(struct svipc_queue *q, const void *item,
                                           unsigned spins, const struct timespec *timeout) {
    if (q->role != SVIPC_QUEUE_SEM_PRODUCER)
        return SVIPC_E_ARG;
    return svipc_queue_wait_(q, (void *)item, spins, timeout);
}

static inline int svipc_queue_dequeue_wait(struct svipc_queue *q, void *item, unsigned spins,
                                           const struct timespec *timeout) {
    if (q->role != SVIPC_QUEUE_SEM_CONSUMER)
        return SVIPC_E_ARG;
    return svipc_queue_wait_(q, item, spins, timeout);
}

/* ---- SeqLock<T> (src/layout/seqlock.rs, src/seqlock.rs) ---- */

struct svipc_seqlock {
    struct svipc_seqlock_ctl *ctl; /* the mapping */
    _Atomic uint64_t *value;       /* its words */
    int shmid, semid;
    uint64_t type_size;
    const char *mismatch;          /* after SVIPC_E_MISMATCH: the field */
    int writer;                    /* whether this process holds the writer role */
    pid_t pid;
    uint64_t seq;                  /* the writer's own, even, sequence number */
};

static inline int svipc_seqlock_open_ids(struct svipc_seqlock *s, int shmid, int semid,
                                         struct svipc_type t, unsigned wait_ms) {
    memset(s, 0, sizeof *s);
    if (t.size == 0)
        return SVIPC_E_ARG;
    struct svipc_shape want = {
        .kind = SVIPC_KIND_SEQLOCK,
        .data_offset = SVIPC_SEQLOCK_DATA_OFFSET,
        .type_size = t.size,
        .type_align = t.align,
        .type_id = SVIPC_FINGERPRINT(t.id, t.size, t.align),
        .capacity = 1,
        .total_size = SVIPC_SEQLOCK_TOTAL_SIZE(t.size),
    };
    void *base;
    int r = svipc_join_(shmid, semid, &want, SVIPC_SEQLOCK_NSEMS, wait_ms, &base, &s->mismatch);
    if (r != SVIPC_OK)
        return r;
    s->ctl = base;
    s->value = (_Atomic uint64_t *)((unsigned char *)base + SVIPC_SEQLOCK_DATA_OFFSET);
    s->shmid = shmid;
    s->semid = semid;
    s->type_size = t.size;
    return SVIPC_OK;
}

static inline int svipc_seqlock_open(struct svipc_seqlock *s, key_t key, struct svipc_type t,
                                     unsigned wait_ms) {
    int shmid = shmget(key, 0, 0);
    int semid = shmid < 0 ? -1 : semget(key, 0, 0);
    if (semid < 0) {
        memset(s, 0, sizeof *s);
        return SVIPC_E_SYS;
    }
    return svipc_seqlock_open_ids(s, shmid, semid, t, wait_ms);
}

/* Copies the value into dst (type_size bytes), trying at most `attempts` times,
 * pausing between attempts once per 512 KiB of the value's words (at least once:
 * a larger value's writes take longer): SVIPC_OK (and *seq_out, the even sequence
 * number of the copy, if not NULL) or SVIPC_E_BUSY, after which dst's bytes are
 * unspecified. seqlock::read. */
static inline int svipc_seqlock_read(struct svipc_seqlock *s, void *dst, unsigned attempts,
                                     uint64_t *seq_out) {
    uint64_t spins = 1 + (s->type_size + SVIPC_WORD - 1) / SVIPC_WORD / 65536;
    for (unsigned a = 0; a < attempts; a++) {
        /* Acquire: pairs with the release store that ended a write. */
        uint64_t s1 = atomic_load_explicit(&s->ctl->seq, memory_order_acquire);
        if (s1 % 2 == 0) {
            svipc_load_words_(dst, s->value, s->type_size);
            /* Pairs with the writer's release fence after its odd store: if a load
             * above saw a later write's word, the load below sees its odd number. */
            atomic_thread_fence(memory_order_acquire);
            uint64_t s2 = atomic_load_explicit(&s->ctl->seq, memory_order_relaxed);
            if (s1 == s2) {
                if (seq_out != NULL)
                    *seq_out = s1;
                return SVIPC_OK;
            }
        }
        for (uint64_t i = 0; i < spins; i++)
            svipc_relax_();
    }
    return SVIPC_E_BUSY;
}

/* Takes the writer role; reclaim takes over an abandoned one. */
static inline int svipc_seqlock_writer(struct svipc_seqlock *s, int reclaim) {
    if (s->ctl == NULL || s->writer)
        return SVIPC_E_ARG;
    int r = svipc_claim_(s->semid, SVIPC_SEQLOCK_SEM_WRITER, &s->ctl->writer_pid, reclaim);
    if (r != SVIPC_OK)
        return r;
    /* Acquire: pairs with the previous writer's last release store. A dead writer
     * may have left seq odd: continue from the next even number. */
    uint64_t seq = atomic_load_explicit(&s->ctl->seq, memory_order_acquire);
    s->seq = seq + seq % 2;
    s->writer = 1;
    s->pid = getpid();
    return SVIPC_OK;
}

/* Stores a new value (type_size bytes from src). SeqWriter::write. */
static inline int svipc_seqlock_write(struct svipc_seqlock *s, const void *src) {
    if (!s->writer)
        return SVIPC_E_ARG;
    /* Relaxed store of the odd number, then a release fence: the word stores below
     * are ordered after it (pairs with the readers' acquire fence). */
    atomic_store_explicit(&s->ctl->seq, s->seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    svipc_store_words_(s->value, src, s->type_size);
    /* Release: publishes the words; pairs with the readers' acquire load of seq. */
    atomic_store_explicit(&s->ctl->seq, s->seq + 2, memory_order_release);
    s->seq += 2;
    svipc_wake_watchers_(&s->ctl->watchers);
    return SVIPC_OK;
}

static inline void svipc_seqlock_release(struct svipc_seqlock *s) {
    if (s->writer)
        svipc_release_(s->semid, SVIPC_SEQLOCK_SEM_WRITER, &s->ctl->writer_pid, s->pid);
    s->writer = 0;
}

static inline void svipc_seqlock_close(struct svipc_seqlock *s) {
    svipc_seqlock_release(s);
    if (s->ctl != NULL)
        shmdt(s->ctl);
    s->ctl = NULL;
}

/* ---- Table<T, N> (src/layout/table.rs, src/table.rs) ---- */

struct svipc_table {
    struct svipc_table_ctl *ctl;   /* the mapping */
    _Atomic uint64_t *groups;      /* SVIPC_TABLE_GROUPS(n) words */
    _Atomic uint64_t *versions;    /* n slot_version words */
    unsigned char *slots;          /* slot 0's seq word */
    int shmid, semid;
    uint64_t n;                    /* the caller's N, equal to the header's */
    uint64_t type_size;
    uint64_t stride;               /* SVIPC_TABLE_STRIDE(type_size) */
    const char *mismatch;          /* after SVIPC_E_MISMATCH: the field */
    int read_only;                 /* attached SHM_RDONLY: no writer role */
    int writer;                    /* whether this process holds the writer role */
    pid_t pid;
    uint64_t version;              /* the writer's last version; never re-read */
};

/* Joins the table of segment shmid and semaphore set semid: n slots of type t. A
 * reader needs only read permission: pass read_only = 1 (SHM_RDONLY; it never stores,
 * and it cannot take the writer role). */
static inline int svipc_table_open_ids(struct svipc_table *tb, int shmid, int semid,
                                       struct svipc_type t, uint64_t n, int read_only,
                                       unsigned wait_ms) {
    memset(tb, 0, sizeof *tb);
    if (t.size == 0 || n == 0)
        return SVIPC_E_ARG;
    struct svipc_shape want = {
        .kind = SVIPC_KIND_TABLE,
        .data_offset = SVIPC_TABLE_SLOTS_OFFSET(n),
        .type_size = t.size,
        .type_align = t.align,
        .type_id = SVIPC_FINGERPRINT(t.id, t.size, t.align),
        .capacity = n,
        .total_size = SVIPC_TABLE_TOTAL_SIZE(n, t.size),
    };
    void *base;
    int r = svipc_join_flags_(shmid, semid, &want, SVIPC_TABLE_NSEMS, wait_ms,
                              read_only ? SHM_RDONLY : 0, &base, &tb->mismatch);
    if (r != SVIPC_OK)
        return r;
    unsigned char *b = base;
    tb->ctl = base;
    tb->groups = (_Atomic uint64_t *)(b + SVIPC_TABLE_INDEX_OFFSET);
    tb->versions = (_Atomic uint64_t *)(b + SVIPC_TABLE_VERSIONS_OFFSET(n));
    tb->slots = b + SVIPC_TABLE_SLOTS_OFFSET(n);
    tb->shmid = shmid;
    tb->semid = semid;
    tb->n = n;
    tb->type_size = t.size;
    tb->stride = SVIPC_TABLE_STRIDE(t.size);
    tb->read_only = read_only != 0;
    return SVIPC_OK;
}

static inline int svipc_table_open(struct svipc_table *tb, key_t key, struct svipc_type t,
                                   uint64_t n, int read_only, unsigned wait_ms) {
    int shmid = shmget(key, 0, 0);
    int semid = shmid < 0 ? -1 : semget(key, 0, 0);
    if (semid < 0) {
        memset(tb, 0, sizeof *tb);
        return SVIPC_E_SYS;
    }
    return svipc_table_open_ids(tb, shmid, semid, t, n, read_only, wait_ms);
}

/* Slot i's seq word; its value's words follow. i < n (checked by the callers). */
static inline _Atomic uint64_t *svipc_table_seq_(struct svipc_table *tb, uint64_t i) {
    return (_Atomic uint64_t *)(tb->slots + i * tb->stride);
}

/* Copies slot i's value into dst (type_size bytes), trying at most `attempts`
 * times, pausing between attempts once per 512 KiB of the value (at least once):
 * SVIPC_OK (and *version, the slot's version, 0 if never written, if not NULL),
 * SVIPC_E_BUSY (dst's bytes unspecified), or SVIPC_E_ARG for i >= n.
 * Slots::read_consistent. */
static inline int svipc_table_read(struct svipc_table *tb, uint64_t i, void *dst,
                                   unsigned attempts, uint64_t *version) {
    if (tb->ctl == NULL || i >= tb->n)
        return SVIPC_E_ARG;
    _Atomic uint64_t *seq = svipc_table_seq_(tb, i);
    uint64_t spins = 1 + (tb->type_size + SVIPC_WORD - 1) / SVIPC_WORD / 65536;
    for (unsigned a = 0; a < attempts; a++) {
        /* Relaxed, then the acquire fence: pairs with the release store of seq that
         * ended a write. Fences, not acquire loads: the mapping may be read-only. */
        uint64_t s1 = atomic_load_explicit(seq, memory_order_relaxed);
        if (s1 % 2 == 0) {
            atomic_thread_fence(memory_order_acquire);
            svipc_load_words_(dst, seq + 1, tb->type_size);
            /* Pairs with the writer's release fence after its odd store. */
            atomic_thread_fence(memory_order_acquire);
            uint64_t s2 = atomic_load_explicit(seq, memory_order_relaxed);
            if (s1 == s2) {
                if (version != NULL)
                    *version = s1 / 2;
                return SVIPC_OK;
            }
        }
        for (uint64_t k = 0; k < spins; k++)
            svipc_relax_();
    }
    return SVIPC_E_BUSY;
}

/* The table version (the last write whose bookkeeping is complete). */
static inline uint64_t svipc_table_version(struct svipc_table *tb) {
    uint64_t v = atomic_load_explicit(&tb->ctl->version, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    return v;
}

/* Calls changed(ctx, i) for every slot written since version `since`, each once, in
 * increasing order; returns the version the report covers, the next `since`.
 * Slots::changed_since. */
static inline uint64_t svipc_table_changed_since(struct svipc_table *tb, uint64_t since,
                                                 void (*changed)(void *ctx, uint64_t i),
                                                 void *ctx) {
    /* Relaxed, then the acquire fence: pairs with the release store of version by
     * write `now` (or later), so its index stores (and every earlier one's) are
     * visible below. */
    uint64_t now = atomic_load_explicit(&tb->ctl->version, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (now == since)
        return now;
    int all = since > now;
    for (uint64_t g = 0; g < SVIPC_TABLE_GROUPS(tb->n); g++) {
        if (!all && atomic_load_explicit(&tb->groups[g], memory_order_relaxed) <= since)
            continue;
        uint64_t end = (g + 1) * SVIPC_TABLE_GROUP;
        for (uint64_t i = g * SVIPC_TABLE_GROUP; i < end && i < tb->n; i++)
            if (all || atomic_load_explicit(&tb->versions[i], memory_order_relaxed) > since)
                changed(ctx, i);
    }
    return now;
}

/* Takes the writer role (reclaim takes over an abandoned one), then repairs what a
 * writer that died may have left in the change index and skips one version.
 * TableWriter::new. */
static inline int svipc_table_writer(struct svipc_table *tb, int reclaim) {
    if (tb->ctl == NULL || tb->writer || tb->read_only)
        return SVIPC_E_ARG;
    int r = svipc_claim_(tb->semid, SVIPC_TABLE_SEM_WRITER, &tb->ctl->writer_pid, reclaim);
    if (r != SVIPC_OK)
        return r;
    /* Acquire: pairs with the previous writer's last release store of version. */
    uint64_t v = atomic_load_explicit(&tb->ctl->version, memory_order_acquire) + 1;
    for (uint64_t i = 0; i < tb->n; i++) {
        _Atomic uint64_t *group = &tb->groups[i / SVIPC_TABLE_GROUP];
        uint64_t known = atomic_load_explicit(&tb->versions[i], memory_order_relaxed);
        if (atomic_load_explicit(svipc_table_seq_(tb, i), memory_order_relaxed) != known * 2 ||
            atomic_load_explicit(group, memory_order_relaxed) < known) {
            atomic_store_explicit(&tb->versions[i], v, memory_order_relaxed);
            atomic_store_explicit(group, v, memory_order_relaxed);
        }
    }
    /* Release: publishes the repairs; the first write is v + 1. */
    atomic_store_explicit(&tb->ctl->version, v, memory_order_release);
    svipc_wake_watchers_(&tb->ctl->watchers);
    tb->version = v;
    tb->writer = 1;
    tb->pid = getpid();
    return SVIPC_OK;
}

/* Stores src (type_size bytes) as slot i's value: SVIPC_OK (and *version, the
 * write's version, if not NULL), or SVIPC_E_ARG (not the writer, i >= n).
 * TableWriter::write. */
static inline int svipc_table_write(struct svipc_table *tb, uint64_t i, const void *src,
                                    uint64_t *version) {
    if (!tb->writer || i >= tb->n || getpid() != tb->pid)
        return SVIPC_E_ARG;
    uint64_t v = ++tb->version;
    _Atomic uint64_t *seq = svipc_table_seq_(tb, i);
    /* Relaxed odd store, then a release fence: the word stores below are ordered
     * after it (pairs with the readers' second acquire fence). */
    atomic_store_explicit(seq, 2 * v - 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    svipc_store_words_(seq + 1, src, tb->type_size);
    /* Release: publishes the words; pairs with the readers' first acquire fence. */
    atomic_store_explicit(seq, 2 * v, memory_order_release);
    atomic_store_explicit(&tb->versions[i], v, memory_order_relaxed);
    atomic_store_explicit(&tb->groups[i / SVIPC_TABLE_GROUP], v, memory_order_relaxed);
    /* Release: publishes the two index stores; pairs with changed_since's fence. */
    atomic_store_explicit(&tb->ctl->version, v, memory_order_release);
    svipc_wake_watchers_(&tb->ctl->watchers);
    if (version != NULL)
        *version = v;
    return SVIPC_OK;
}

static inline void svipc_table_release(struct svipc_table *tb) {
    if (tb->writer)
        svipc_release_(tb->semid, SVIPC_TABLE_SEM_WRITER, &tb->ctl->writer_pid, tb->pid);
    tb->writer = 0;
}

static inline void svipc_table_close(struct svipc_table *tb) {
    svipc_table_release(tb);
    if (tb->ctl != NULL)
        shmdt(tb->ctl);
    tb->ctl = NULL;
}

/* ---- Broadcast<T, N> (src/layout/broadcast.rs, src/broadcast.rs) ----
 *
 * One writer, up to R readers (R and the policy fixed by the creator, named by every
 * joiner). Implemented here: the writer's non-blocking send (lossy; lossless returns
 * SVIPC_WOULD_BLOCK while the slowest live reader is N behind), its blocking send
 * (lossless: spins, then parks on SVIPC_BC_SEM_WRITER_WAKE until a reader moves on,
 * dropping dead readers' lines at each peer check) and close; a reader's join on the
 * first free seat, its non-blocking and blocking receive (parking on its own
 * semaphore), and its leave.
 * A lapped reader gets SVIPC_E_LAGGED with ->missed set, and goes on from the oldest
 * value retained. */

#define SVIPC_BC_HALF (UINT64_C(1) << 63)

struct svipc_bc {
    struct svipc_bc_ctl *ctl;   /* the mapping */
    int shmid, semid;
    uint64_t capacity;          /* the caller's N, equal to the header's */
    uint64_t type_size;
    uint64_t readers;           /* the caller's R, equal to the segment's */
    int lossless;               /* the caller's policy, equal to the segment's */
    const char *mismatch;       /* after SVIPC_E_MISMATCH: the field */
    int role;                   /* 0, SVIPC_BC_ROLE_WRITER or SVIPC_BC_ROLE_READER */
    pid_t pid;
    int asymmetric;
    uint64_t own;               /* writer: tail; reader: cursor */
    uint64_t cached;            /* writer: slowest cursor seen; reader: last tail read */
    uint64_t index, ticket;     /* reader: its line and its occupancy */
    uint64_t missed;            /* after SVIPC_E_LAGGED: how many values were skipped */
    uint64_t parks;             /* writer: parks on a full ring (a statistic) */
    uint64_t wakes;             /* of those, the ones a reader's post ended */
    int death_wake;             /* lossless reader: our exit posts the writer's semaphore */
};

#define SVIPC_BC_ROLE_WRITER 1
#define SVIPC_BC_ROLE_READER 2

/* Joins the broadcast of segment shmid and semaphore set semid: values of type t,
 * capacity slots (a power of two, at least 2), `readers` reader lines and the
 * policy (SVIPC_BC_LOSSY or SVIPC_BC_LOSSLESS) the creator chose. */
static inline int svipc_bc_open_ids(struct svipc_bc *b, int shmid, int semid,
                                    struct svipc_type t, uint64_t capacity, uint64_t readers,
                                    uint64_t policy, unsigned wait_ms) {
    memset(b, 0, sizeof *b);
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || t.size == 0 || readers == 0 ||
        readers > SVIPC_BC_MAX_READERS || policy > SVIPC_BC_LOSSLESS)
        return SVIPC_E_ARG;
    struct svipc_shape want = {
        .kind = SVIPC_KIND_BROADCAST,
        .data_offset = SVIPC_BC_DATA_OFFSET,
        .type_size = t.size,
        .type_align = t.align,
        .type_id = SVIPC_FINGERPRINT(t.id, t.size, t.align),
        .capacity = capacity,
        .total_size = SVIPC_BC_TOTAL_SIZE(capacity, t.size, readers),
    };
    void *base;
    int r = svipc_join_(shmid, semid, &want, (int)SVIPC_BC_NSEMS(readers), wait_ms, &base,
                        &b->mismatch);
    if (r != SVIPC_OK)
        return r;
    struct svipc_bc_ctl *ctl = base;
    /* Relaxed: written before READY, read after the join's acquire of READY. */
    if (atomic_load_explicit(&ctl->readers, memory_order_relaxed) != readers)
        b->mismatch = "readers";
    else if (atomic_load_explicit(&ctl->policy, memory_order_relaxed) != policy)
        b->mismatch = "policy";
    if (b->mismatch != NULL) {
        shmdt(base);
        return SVIPC_E_MISMATCH;
    }
    b->ctl = ctl;
    b->shmid = shmid;
    b->semid = semid;
    b->capacity = capacity;
    b->type_size = t.size;
    b->readers = readers;
    b->lossless = policy == SVIPC_BC_LOSSLESS;
    b->asymmetric =
        atomic_load_explicit(&ctl->barrier, memory_order_relaxed) == SVIPC_BARRIER_ASYMMETRIC;
    return SVIPC_OK;
}

/* Joins the broadcast of `key`. */
static inline int svipc_bc_open(struct svipc_bc *b, key_t key, struct svipc_type t,
                                uint64_t capacity, uint64_t readers, uint64_t policy,
                                unsigned wait_ms) {
    int shmid = shmget(key, 0, 0);
    int semid = shmid < 0 ? -1 : semget(key, 0, 0);
    if (semid < 0) {
        memset(b, 0, sizeof *b);
        return SVIPC_E_SYS;
    }
    return svipc_bc_open_ids(b, shmid, semid, t, capacity, readers, policy, wait_ms);
}

/* Reader line r (r < readers, checked by the callers). */
static inline struct svipc_bc_line *svipc_bc_line_(struct svipc_bc *b, uint64_t r) {
    return (struct svipc_bc_line *)((unsigned char *)b->ctl + SVIPC_BC_LINE_OFFSET(r));
}

/* The seq word of the slot of message m; the value's words follow it. */
static inline _Atomic uint64_t *svipc_bc_slot_(struct svipc_bc *b, uint64_t m) {
    /* Masked with the caller's capacity: in bounds whatever m is. */
    return (_Atomic uint64_t *)((unsigned char *)b->ctl + SVIPC_BC_LINE_OFFSET(b->readers) +
                                (m & (b->capacity - 1)) * SVIPC_RING_SLOT_BYTES(b->type_size));
}

/* After a store that may let a lossless writer go on (a cursor, a state). */
static inline void svipc_bc_wake_writer_(struct svipc_bc *b) {
    if (!b->lossless)
        return;
    svipc_light_(b->asymmetric);
    if (atomic_load_explicit(&b->ctl->writer_waiting, memory_order_relaxed) != 0)
        svipc_wake_taken_(b->semid, SVIPC_BC_SEM_WRITER_WAKE, &b->ctl->writer_waiting,
                          atomic_exchange_explicit(&b->ctl->writer_waiting, 0, memory_order_relaxed));
}

/* After a publish or a close: posts every reader whose waiting bit is set. */
static inline void svipc_bc_wake_readers_(struct svipc_bc *b) {
    svipc_light_(b->asymmetric);
    for (uint64_t w = 0; w < (b->readers + 63) / 64; w++) {
        _Atomic uint64_t *word = &b->ctl->readers_waiting[w];
        if (atomic_load_explicit(word, memory_order_relaxed) == 0)
            continue;
        /* Acquire: pairs with the release of a word waiter's announcement, so its
         * line's wait word (stored before) is seen below (BcWriter::wake_bits). */
        uint64_t bits = atomic_exchange_explicit(word, 0, memory_order_acquire);
        for (uint64_t i = 0; i < 64; i++) {
            if ((bits >> i & 1) == 0 || w * 64 + i >= b->readers)
                continue;
            _Atomic uint64_t *wait = &svipc_bc_line_(b, w * 64 + i)->wait;
            uint64_t taken = atomic_load_explicit(wait, memory_order_relaxed) != 0
                                 ? atomic_exchange_explicit(wait, 0, memory_order_relaxed)
                                 : 0;
            if (taken & SVIPC_WAITING_WORD)
                syscall(SYS_futex, (uint32_t *)wait, 1 /* FUTEX_WAKE, shared */, INT_MAX, NULL,
                        NULL, 0);
            else
                svipc_semop_(b->semid, (unsigned short)SVIPC_BC_SEM_READER_WAKE(w * 64 + i), 1, 0);
        }
    }
}

/* Ends occupancy `ticket` of line r: a leave, or the drop of a dead reader. */
static inline int svipc_bc_free_line_(struct svipc_bc *b, uint64_t r, uint64_t ticket) {
    struct svipc_bc_line *line = svipc_bc_line_(b, r);
    uint64_t expected = ticket;
    if (!atomic_compare_exchange_strong_explicit(&line->ticket, &expected, ticket + 1,
                                                 memory_order_relaxed, memory_order_relaxed))
        return 0;
    atomic_fetch_and_explicit(&b->ctl->readers_waiting[r / 64], ~(UINT64_C(1) << (r % 64)),
                              memory_order_relaxed);
    /* A dead word waiter's mark too (the line's next reader may park on its
     * semaphore); published by the release below. */
    atomic_store_explicit(&line->wait, 0, memory_order_relaxed);
    /* Release: this reader's slot reads happen before the writer sees the line free. */
    atomic_store_explicit(&line->state, SVIPC_BC_FREE, memory_order_release);
    svipc_bc_wake_writer_(b);
    return 1;
}

/* Claims the writer role; reclaim takes over an abandoned one. */
static inline int svipc_bc_writer(struct svipc_bc *b, int reclaim) {
    if (b->ctl == NULL || b->role != 0)
        return SVIPC_E_ARG;
    int r = svipc_claim_(b->semid, SVIPC_BC_SEM_WRITER, &b->ctl->writer_pid, reclaim);
    if (r != SVIPC_OK)
        return r;
    pid_t pid = getpid();
    /* Acquire: pairs with the previous writer's release stores. */
    uint64_t tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
    uint64_t closed = atomic_load_explicit(&b->ctl->closed, memory_order_acquire);
    if (tail >= SVIPC_BC_HALF || closed > 1)
        r = SVIPC_E_CORRUPT;
    else if (closed == 1)
        r = SVIPC_E_CLOSED;
    else if (b->asymmetric &&
             svipc_membarrier_(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != SVIPC_OK)
        r = SVIPC_E_UNSUPPORTED;
    if (r != SVIPC_OK) {
        svipc_release_(b->semid, SVIPC_BC_SEM_WRITER, &b->ctl->writer_pid, pid);
        return r;
    }
    b->role = SVIPC_BC_ROLE_WRITER;
    b->pid = pid;
    b->own = tail;
    b->cached = tail < b->capacity ? 0 : tail - b->capacity;
    return SVIPC_OK;
}

/* Lossless: rescans the reader lines for the slowest live cursor; 1 if message
 * `own` may be published, 0 if not, or an error. BcWriter::rescan. */
static inline int svipc_bc_room_(struct svipc_bc *b) {
    if (!b->lossless || b->own - b->cached < b->capacity)
        return 1;
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t min = b->own;
    for (uint64_t r = 0; r < b->readers; r++) {
        struct svipc_bc_line *line = svipc_bc_line_(b, r);
        uint64_t state = atomic_load_explicit(&line->state, memory_order_acquire);
        if (state == SVIPC_BC_FREE)
            continue;
        if (state == SVIPC_BC_JOINING)
            return 0;
        if (state != SVIPC_BC_ACTIVE)
            return SVIPC_E_CORRUPT;
        uint64_t cursor = atomic_load_explicit(&line->cursor, memory_order_acquire);
        uint64_t behind = b->own - cursor;
        if (behind > SVIPC_BC_HALF)
            return SVIPC_E_CORRUPT;
        if (behind >= b->capacity)
            return 0;
        if (behind > b->own - min)
            min = cursor;
    }
    b->cached = min;
    return 1;
}

/* Sends one value to every reader: SVIPC_OK, SVIPC_WOULD_BLOCK (lossless, a live
 * reader N behind), or an error. Never blocks. BcWriter::push with one message. */
static inline int svipc_bc_send(struct svipc_bc *b, const void *item) {
    if (b->role != SVIPC_BC_ROLE_WRITER)
        return SVIPC_E_ARG;
    int r = svipc_bc_room_(b);
    if (r <= 0)
        return r < 0 ? r : SVIPC_WOULD_BLOCK;
    uint64_t m = b->own;
    _Atomic uint64_t *seq = svipc_bc_slot_(b, m);
    /* The odd mark, then a release fence: a reader whose copy saw any word below
     * re-loads the mark (or later) in its validation. */
    atomic_store_explicit(seq, 2 * m + 1, memory_order_release);
    atomic_thread_fence(memory_order_release);
    svipc_store_words_(seq + 1, item, b->type_size);
    atomic_store_explicit(seq, 2 * m + 2, memory_order_release);
    b->own = m + 1;
    /* Release: publishes the slot; pairs with the readers' acquire loads of tail. */
    atomic_store_explicit(&b->ctl->tail, b->own, memory_order_release);
    svipc_bc_wake_readers_(b);
    return SVIPC_OK;
}

/* Lossless writer, at a peer check: frees the lines of readers that died holding
 * their seats (the kernel gave the seat back; the pid word still names them), so a
 * dead reader never stalls the writer. drop_dead in src/broadcast.rs. */
static inline void svipc_bc_drop_dead_(struct svipc_bc *b) {
    for (uint64_t k = 0; k < b->readers; k++) {
        struct svipc_bc_line *line = svipc_bc_line_(b, k);
        /* Relaxed (both): advisory, the ticket before the look at the seat; the
         * compare-exchange in free_line decides (BcLayout::ticket). */
        uint64_t ticket = atomic_load_explicit(&line->ticket, memory_order_relaxed);
        if (atomic_load_explicit(&line->state, memory_order_relaxed) == SVIPC_BC_FREE)
            continue;
        if (svipc_seat_abandoned_(b->semid, (unsigned short)SVIPC_BC_SEM_READER(k), &line->pid))
            svipc_bc_free_line_(b, k, ticket);
    }
}

/* The writer's side of svipc_block_ (BcWriter's Waiter). */
static inline int svipc_bc_send_attempt_(struct svipc_waiter_ *w) {
    return svipc_bc_send(w->side, w->item);
}

static inline int svipc_bc_recheck_writer_(struct svipc_waiter_ *w) {
    /* A fresh scan of the readers (BcWriter::rescan, as the Waiter's recheck): room
     * is tried again from the top. */
    int r = svipc_bc_room_(w->side);
    return r == 0 ? SVIPC_WOULD_BLOCK : r > 0 ? SVIPC_AGAIN_ : r;
}

static inline int svipc_bc_drop_dead_hook_(struct svipc_waiter_ *w) {
    /* The writer's peer check: a dead reader is dropped, never a death. */
    svipc_bc_drop_dead_(w->side);
    return 0;
}

/* svipc_bc_send, waiting while a lossless ring is full: spins `spins` times, then
 * announces in writer_waiting, runs the heavy barrier, rescans the readers, and parks
 * on SVIPC_BC_SEM_WRITER_WAKE until a reader's cursor store (or leave) wakes it.
 * timeout bounds the whole call (NULL: none): SVIPC_E_TIMED_OUT. Every
 * SVIPC_PEER_CHECK_MS parked, and after a wake that brought no room, dead readers are
 * dropped. BcWriter::push_blocking. */
static inline int svipc_bc_send_wait(struct svipc_bc *b, const void *item, unsigned spins,
                                     const struct timespec *timeout) {
    if (b->role != SVIPC_BC_ROLE_WRITER)
        return SVIPC_E_ARG;
    struct svipc_waiter_ w = {
        .side = b,
        .item = (void *)item,
        .semid = b->semid,
        .own = SVIPC_BC_SEM_WRITER_WAKE,
        /* Pairs with the compiler barrier (or the seq_cst fence) in a reader's wake
         * check (park_barrier). */
        .asymmetric = b->asymmetric,
        .waiting = &b->ctl->writer_waiting,
        .clear_by_store = 1,
        .check_after_wake = 1,
        .parks = &b->parks,
        .wakes = &b->wakes,
        .attempt = svipc_bc_send_attempt_,
        .recheck = svipc_bc_recheck_writer_,
        .peer_died = svipc_bc_drop_dead_hook_,
    };
    return svipc_block_(&w, spins, timeout);
}

/* Ends the stream for good and releases the writer role. */
static inline int svipc_bc_writer_close(struct svipc_bc *b) {
    if (b->role != SVIPC_BC_ROLE_WRITER || getpid() != b->pid)
        return SVIPC_E_ARG;
    atomic_store_explicit(&b->ctl->closed, 1, memory_order_release);
    svipc_bc_wake_readers_(b);
    svipc_release_(b->semid, SVIPC_BC_SEM_WRITER, &b->ctl->writer_pid, b->pid);
    b->role = 0;
    return SVIPC_OK;
}

/* Joins as a reader on the first free seat, at the newest value (newest = 1) or the
 * oldest still retained. A seat's occupant left behind is a dead reader's: dropped.
 * Broadcast::reader and BcReader::join. */
static inline int svipc_bc_reader(struct svipc_bc *b, int newest) {
    if (b->ctl == NULL || b->role != 0)
        return SVIPC_E_ARG;
    for (uint64_t k = 0; k < b->readers; k++) {
        struct svipc_bc_line *line = svipc_bc_line_(b, k);
        unsigned short seat = (unsigned short)SVIPC_BC_SEM_READER(k);
        int r = svipc_claim_(b->semid, seat, &line->pid, 1);
        if (r == SVIPC_E_ROLE_TAKEN)
            continue;
        if (r != SVIPC_OK)
            return r;
        pid_t pid = getpid();
        if (b->asymmetric &&
            svipc_membarrier_(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != SVIPC_OK) {
            svipc_release_(b->semid, seat, &line->pid, pid);
            return SVIPC_E_UNSUPPORTED;
        }
        if (atomic_load_explicit(&line->state, memory_order_relaxed) != SVIPC_BC_FREE)
            svipc_bc_free_line_(b, k, atomic_load_explicit(&line->ticket, memory_order_relaxed));
        uint64_t expected = SVIPC_BC_FREE;
        if (!atomic_compare_exchange_strong_explicit(&line->state, &expected, SVIPC_BC_JOINING,
                                                     memory_order_acquire,
                                                     memory_order_relaxed)) {
            svipc_release_(b->semid, seat, &line->pid, pid);
            return SVIPC_E_CORRUPT;
        }
        uint64_t ticket = atomic_fetch_add_explicit(&line->ticket, 1, memory_order_relaxed) + 1;
        /* Pairs with the writer's seq_cst fence before its scan. */
        atomic_thread_fence(memory_order_seq_cst);
        uint64_t tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
        if (tail >= SVIPC_BC_HALF) {
            svipc_bc_free_line_(b, k, ticket);
            svipc_release_(b->semid, seat, &line->pid, pid);
            return SVIPC_E_CORRUPT;
        }
        uint64_t cursor = newest || tail < b->capacity ? (newest ? tail : 0) : tail - b->capacity;
        atomic_store_explicit(&line->cursor, cursor, memory_order_relaxed);
        atomic_store_explicit(&line->state, SVIPC_BC_ACTIVE, memory_order_release);
        svipc_bc_wake_writer_(b);
        if (b->lossless) {
            /* Should this process die, its exit posts the writer's semaphore, waking a
             * writer parked on our cursor at once: a net-zero semop whose SEM_UNDO
             * adjustment is +1 there (Broadcast::reader). Without it the writer's
             * peer check finds the death. */
            struct sembuf arm[2] = {{SVIPC_BC_SEM_WRITER_WAKE, 1, IPC_NOWAIT},
                                    {SVIPC_BC_SEM_WRITER_WAKE, -1, SEM_UNDO | IPC_NOWAIT}};
            b->death_wake = semop(b->semid, arm, 2) == 0;
        }
        b->role = SVIPC_BC_ROLE_READER;
        b->pid = pid;
        b->index = k;
        b->ticket = ticket;
        b->own = cursor;
        b->cached = tail;
        return SVIPC_OK;
    }
    return SVIPC_E_ROLE_TAKEN;
}

/* Lapped: moves the cursor to the oldest value the writer may still keep (past
 * message newer, if the lap was seen in a slot) and reports the gap. BcReader::lapped. */
static inline int svipc_bc_lapped_(struct svipc_bc *b, uint64_t newer, int have_newer) {
    uint64_t tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
    if (tail >= SVIPC_BC_HALF || tail - b->own > SVIPC_BC_HALF)
        return SVIPC_E_CORRUPT;
    uint64_t next = tail < b->capacity ? 0 : tail - b->capacity;
    if (have_newer) {
        if (newer > tail)
            return SVIPC_E_CORRUPT;
        if (newer + 1 > b->capacity && newer + 1 - b->capacity > next)
            next = newer + 1 - b->capacity;
    }
    if (next <= b->own)
        return SVIPC_E_CORRUPT;
    b->missed = next - b->own;
    b->own = next;
    b->cached = tail;
    return SVIPC_E_LAGGED;
}

/* Receives the next value into item: SVIPC_OK, SVIPC_WOULD_BLOCK (nothing new),
 * SVIPC_E_LAGGED (->missed values were overwritten; call again), SVIPC_E_CLOSED (the
 * writer closed and every value was read), or an error. Never blocks. */
static inline int svipc_bc_recv(struct svipc_bc *b, void *item) {
    if (b->role != SVIPC_BC_ROLE_READER)
        return SVIPC_E_ARG;
    if (b->cached == b->own) {
        uint64_t tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
        uint64_t n = tail - b->own;
        if (n > SVIPC_BC_HALF)
            return SVIPC_E_CORRUPT;
        if (n > b->capacity)
            return svipc_bc_lapped_(b, 0, 0);
        b->cached = tail;
        if (n == 0) {
            uint64_t closed = atomic_load_explicit(&b->ctl->closed, memory_order_acquire);
            if (closed > 1)
                return SVIPC_E_CORRUPT;
            if (closed == 0)
                return SVIPC_WOULD_BLOCK;
            tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
            n = tail - b->own;
            if (n > SVIPC_BC_HALF)
                return SVIPC_E_CORRUPT;
            if (n > b->capacity)
                return svipc_bc_lapped_(b, 0, 0);
            b->cached = tail;
            if (n == 0)
                return SVIPC_E_CLOSED;
        }
    }
    uint64_t m = b->own;
    _Atomic uint64_t *seq = svipc_bc_slot_(b, m);
    svipc_load_words_(item, seq + 1, b->type_size);
    /* Seqlock validation: pairs with the writer's release fence after its odd mark. */
    atomic_thread_fence(memory_order_acquire);
    uint64_t s = atomic_load_explicit(seq, memory_order_relaxed);
    if (s != 2 * m + 2) {
        atomic_thread_fence(memory_order_acquire);
        uint64_t newer = (s - 1) / 2;
        if (s == 0 || newer <= m || (newer - m) % b->capacity != 0)
            return SVIPC_E_CORRUPT;
        return svipc_bc_lapped_(b, newer, 1);
    }
    b->own = m + 1;
    /* Release: our reads of the slot happen before a lossless writer reuses it. */
    atomic_store_explicit(&svipc_bc_line_(b, b->index)->cursor, b->own, memory_order_release);
    svipc_bc_wake_writer_(b);
    return SVIPC_OK;
}

/* svipc_bc_recv, waiting while there is nothing new: spins, then parks on the
 * reader's semaphore until the writer's wake (each park bounded by timeout if not
 * NULL: then SVIPC_E_TIMED_OUT). */
static inline int svipc_bc_recv_wait(struct svipc_bc *b, void *item, unsigned spins,
                                     const struct timespec *timeout) {
    uint64_t bit = UINT64_C(1) << (b->index % 64);
    for (unsigned spun = 0;;) {
        int r = svipc_bc_recv(b, item);
        if (r != SVIPC_WOULD_BLOCK)
            return r;
        if (spun < spins) {
            spun++;
            svipc_relax_();
            continue;
        }
        _Atomic uint64_t *word = &b->ctl->readers_waiting[b->index / 64];
        atomic_fetch_or_explicit(word, bit, memory_order_relaxed);
        /* Pairs with svipc_light_ in the writer's wake (svipc_bc_wake_readers_). */
        if (svipc_heavy_(b->asymmetric) != SVIPC_OK) {
            atomic_fetch_and_explicit(word, ~bit, memory_order_relaxed);
            return SVIPC_E_SYS;
        }
        uint64_t tail = atomic_load_explicit(&b->ctl->tail, memory_order_acquire);
        uint64_t closed = atomic_load_explicit(&b->ctl->closed, memory_order_acquire);
        if (tail != b->own || closed != 0) {
            /* Not parking after all: a wake the writer already took is ours to absorb. */
            if ((atomic_fetch_and_explicit(word, ~bit, memory_order_relaxed) & bit) == 0)
                svipc_semop_(b->semid, (unsigned short)SVIPC_BC_SEM_READER_WAKE(b->index), -1,
                             IPC_NOWAIT);
            spun = 0;
            continue;
        }
        struct sembuf op = {
            .sem_num = (unsigned short)SVIPC_BC_SEM_READER_WAKE(b->index),
            .sem_op = -1,
            .sem_flg = 0,
        };
        int p = timeout != NULL ? semtimedop(b->semid, &op, 1, timeout) : semop(b->semid, &op, 1);
        int saved = errno;
        atomic_fetch_and_explicit(word, ~bit, memory_order_relaxed);
        errno = saved;
        if (p != 0)
            return timeout != NULL && saved == EAGAIN ? SVIPC_E_TIMED_OUT : SVIPC_E_SYS;
        spun = 0;
    }
}

/* Leaves: frees the line and the seat. */
static inline void svipc_bc_leave(struct svipc_bc *b) {
    if (b->role != SVIPC_BC_ROLE_READER || getpid() != b->pid)
        return;
    svipc_bc_free_line_(b, b->index, b->ticket);
    if (b->death_wake) {
        /* Takes the adjustment back, again net zero: a clean leave wakes nobody. */
        struct sembuf disarm[2] = {{SVIPC_BC_SEM_WRITER_WAKE, 1, SEM_UNDO | IPC_NOWAIT},
                                   {SVIPC_BC_SEM_WRITER_WAKE, -1, IPC_NOWAIT}};
        (void)semop(b->semid, disarm, 2);
        b->death_wake = 0;
    }
    struct svipc_bc_line *line = svipc_bc_line_(b, b->index);
    svipc_release_(b->semid, (unsigned short)SVIPC_BC_SEM_READER(b->index), &line->pid, b->pid);
    b->role = 0;
}

/* Leaves or releases whatever role this process holds, and detaches. */
static inline void svipc_bc_close(struct svipc_bc *b) {
    if (b->role == SVIPC_BC_ROLE_READER)
        svipc_bc_leave(b);
    if (b->role == SVIPC_BC_ROLE_WRITER && getpid() == b->pid)
        svipc_release_(b->semid, SVIPC_BC_SEM_WRITER, &b->ctl->writer_pid, b->pid);
    b->role = 0;
    if (b->ctl != NULL)
        shmdt(b->ctl);
    b->ctl = NULL;
}

/* ---- Mpsc<T, N> (src/layout/mpsc.rs, src/mpsc.rs) ----
 *
 * Up to P producers (P fixed by the creator, named by every joiner), one consumer.
 * Every role is implemented: a producer's join on the first free entry (under the
 * lock, ending dead producers' registrations first), its non-blocking and blocking
 * send (parking on its own semaphore until the consumer frees a slot), a claim held
 * across the write (claim, then commit or cancel), and its leave; the consumer's
 * claim of its role, its non-blocking and blocking receive (parking until a producer
 * publishes), the skip of claims abandoned by dead producers (counted in
 * ->abandoned), and its release. Blocking calls take a timeout for the whole call
 * (NULL: none) and ask after their peer every SVIPC_PEER_CHECK_MS while parked:
 * SVIPC_E_PEER_DIED when the consumer died holding its role (a producer), or when
 * no producer seat is held, one was left by a death and the ring is drained (the
 * consumer). A consumer waiting on a claim whose producer died learns of the death
 * at the next check, and skips the claim. */

#define SVIPC_MPSC_ROLE_PRODUCER 1
#define SVIPC_MPSC_ROLE_CONSUMER 2

struct svipc_mpsc {
    struct svipc_mpsc_ctl *ctl; /* the mapping */
    int shmid, semid;
    uint64_t capacity;          /* the caller's N, equal to the header's */
    uint64_t type_size;
    uint64_t producers;         /* the caller's P, equal to the segment's */
    const char *mismatch;       /* after SVIPC_E_MISMATCH: the field */
    int role;                   /* 0, SVIPC_MPSC_ROLE_PRODUCER or _CONSUMER */
    pid_t pid;
    int asymmetric;             /* the barrier word, read once at open */
    uint64_t index;             /* producer: its entry (and seat) */
    uint64_t registration;      /* producer: the odd reg value it set */
    int claimed;                /* producer: holds a claim of position ->claim */
    uint64_t claim;
    uint64_t head;              /* consumer: its head; the shared one is only stored */
    uint64_t abandoned;         /* consumer: claims skipped as abandoned, with its
                                 * predecessors' */
    uint64_t parks;             /* parks this handle made (a statistic) */
    uint64_t wakes;             /* of those, the ones a peer's post ended */
    int death_wake;             /* producer: our exit posts the consumer's semaphore */
};

/* Joins the Mpsc of segment shmid and semaphore set semid: values of type t,
 * capacity slots (a power of two) and `producers` entries, as the creator chose. */
static inline int svipc_mpsc_open_ids(struct svipc_mpsc *m, int shmid, int semid,
                                      struct svipc_type t, uint64_t capacity,
                                      uint64_t producers, unsigned wait_ms) {
    memset(m, 0, sizeof *m);
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || t.size == 0 || producers == 0 ||
        producers > SVIPC_MPSC_MAX_PRODUCERS)
        return SVIPC_E_ARG;
    struct svipc_shape want = {
        .kind = SVIPC_KIND_MPSC,
        .data_offset = SVIPC_MPSC_DATA_OFFSET(producers),
        .type_size = t.size,
        .type_align = t.align,
        .type_id = SVIPC_FINGERPRINT(t.id, t.size, t.align),
        .capacity = capacity,
        .total_size = SVIPC_MPSC_TOTAL_SIZE(capacity, t.size, producers),
    };
    void *base;
    int r = svipc_join_(shmid, semid, &want, (int)SVIPC_MPSC_NSEMS(producers), wait_ms, &base,
                        &m->mismatch);
    if (r != SVIPC_OK)
        return r;
    struct svipc_mpsc_ctl *ctl = base;
    /* Relaxed: written before READY, read after the join's acquire of READY. */
    if (atomic_load_explicit(&ctl->producers, memory_order_relaxed) != producers) {
        m->mismatch = "producers";
        shmdt(base);
        return SVIPC_E_MISMATCH;
    }
    m->ctl = ctl;
    m->shmid = shmid;
    m->semid = semid;
    m->capacity = capacity;
    m->type_size = t.size;
    m->producers = producers;
    /* Relaxed: as above (MpscCtl::barrier). */
    m->asymmetric =
        atomic_load_explicit(&ctl->barrier, memory_order_relaxed) == SVIPC_BARRIER_ASYMMETRIC;
    return SVIPC_OK;
}

/* Joins the Mpsc of `key`. */
static inline int svipc_mpsc_open(struct svipc_mpsc *m, key_t key, struct svipc_type t,
                                  uint64_t capacity, uint64_t producers, unsigned wait_ms) {
    int shmid = shmget(key, 0, 0);
    int semid = shmid < 0 ? -1 : semget(key, 0, 0);
    if (semid < 0) {
        memset(m, 0, sizeof *m);
        return SVIPC_E_SYS;
    }
    return svipc_mpsc_open_ids(m, shmid, semid, t, capacity, producers, wait_ms);
}

/* Producer entry j (j < producers, checked by the callers). */
static inline struct svipc_mpsc_entry *svipc_mpsc_entry_(struct svipc_mpsc *m, uint64_t j) {
    return (struct svipc_mpsc_entry *)((unsigned char *)m->ctl + SVIPC_MPSC_ENTRY_OFFSET(j));
}

/* The seq word of position pos's slot; the value's words follow it. */
static inline _Atomic uint64_t *svipc_mpsc_slot_(struct svipc_mpsc *m, uint64_t pos) {
    /* Masked with the caller's capacity: in bounds whatever pos is. */
    return (_Atomic uint64_t *)((unsigned char *)m->ctl +
                                SVIPC_MPSC_SLOT_OFFSET(m->producers, m->capacity, m->type_size,
                                                       pos));
}

/* After a publish, cancel or registration: wakes the consumer if it announced a
 * park. take_waiter and wake_peer (MpscProducer::finish, ::register). */
static inline void svipc_mpsc_wake_consumer_(struct svipc_mpsc *m) {
    svipc_light_(m->asymmetric);
    /* Relaxed: ordered by the barrier; the exchange wakes once per park. */
    if (atomic_load_explicit(&m->ctl->consumer_waiting, memory_order_relaxed) != 0)
        svipc_wake_taken_(m->semid, (unsigned short)SVIPC_MPSC_SEM_CONSUMER_WAKE(m->producers),
                          &m->ctl->consumer_waiting,
                          atomic_exchange_explicit(&m->ctl->consumer_waiting, 0,
                                                   memory_order_relaxed));
}

/* The lock that serialises producers' joins and leaves with death checks: wait or
 * IPC_NOWAIT; SEM_UNDO, so a holder that dies gives it back. JoinLock::take. */
static inline int svipc_mpsc_lock_(struct svipc_mpsc *m, int wait) {
    unsigned short lock = (unsigned short)SVIPC_MPSC_SEM_LOCK(m->producers);
    for (;;) {
        if (svipc_semop_(m->semid, lock, -1, SEM_UNDO | (wait ? 0 : IPC_NOWAIT)) == SVIPC_OK)
            return SVIPC_OK;
        if (!(wait && errno == EINTR))
            return SVIPC_E_SYS;
    }
}

static inline void svipc_mpsc_unlock_(struct svipc_mpsc *m) {
    svipc_semop_(m->semid, (unsigned short)SVIPC_MPSC_SEM_LOCK(m->producers), 1, SEM_UNDO);
}

/* Ends registration `reg` of entry j (its holder died): MpscRing::reclaim. */
static inline int svipc_mpsc_reclaim_(struct svipc_mpsc *m, uint64_t j, uint64_t reg) {
    uint64_t expected = reg;
    /* acq_rel: as a leave (release), after the reclaimer's own check; acquire orders
     * a later reuse of the entry after the dead holder's stores. */
    return atomic_compare_exchange_strong_explicit(&svipc_mpsc_entry_(m, j)->reg, &expected,
                                                   reg + 1, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* Takes the first free entry: MpscProducer::register. SVIPC_OK or _E_ROLE_TAKEN. */
static inline int svipc_mpsc_register_(struct svipc_mpsc *m, pid_t pid) {
    for (uint64_t j = 0; j < m->producers; j++) {
        struct svipc_mpsc_entry *e = svipc_mpsc_entry_(m, j);
        /* Relaxed: a hint; the compare-exchange decides. */
        uint64_t seen = atomic_load_explicit(&e->reg, memory_order_relaxed);
        if ((seen & 1) != 0)
            continue;
        uint64_t reg = seen + 1;
        /* Acquire: pairs with the release of the entry's last leave or reclaim, so our
         * reset below comes after every store of the previous holder in claim's order. */
        if (!atomic_compare_exchange_strong_explicit(&e->reg, &seen, reg, memory_order_acquire,
                                                     memory_order_relaxed))
            continue;
        /* Release: a consumer whose acquire load reads the reset sees the entry taken. */
        atomic_store_explicit(&e->claim, 0, memory_order_release);
        /* Relaxed: informational. */
        atomic_store_explicit(&e->pid, (uint64_t)pid, memory_order_relaxed);
        /* Relaxed: a dead predecessor's asynchronous announcement must not make the
         * consumer futex-wake us instead of posting our semaphore. */
        atomic_store_explicit(&e->wait, 0, memory_order_relaxed);
        /* A consumer waiting on the stale claim we just reset. */
        svipc_mpsc_wake_consumer_(m);
        m->index = j;
        m->registration = reg;
        m->claimed = 0;
        return SVIPC_OK;
    }
    return SVIPC_E_ROLE_TAKEN;
}

/* Publishes (SVIPC_MPSC_SEQ_PUBLISHED) or gives up (_CANCELLED) the claim held, then
 * wakes a parked consumer; 0 without a claim. MpscProducer::finish. */
static inline int svipc_mpsc_finish_(struct svipc_mpsc *m, uint64_t state) {
    if (!m->claimed)
        return 0;
    m->claimed = 0;
    /* Release: the value written before happens before the consumer's acquire load of
     * seq that reads this. */
    atomic_store_explicit(svipc_mpsc_slot_(m, m->claim), SVIPC_MPSC_SEQ(m->claim, state),
                          memory_order_release);
    svipc_mpsc_wake_consumer_(m);
    return 1;
}

/* Leaves the producer table: cancels a claim held, then ends the registration
 * (unless it was reclaimed meanwhile). MpscProducer::leave. */
static inline void svipc_mpsc_unregister_(struct svipc_mpsc *m) {
    struct svipc_mpsc_entry *e = svipc_mpsc_entry_(m, m->index);
    /* Relaxed: only our own registration can match. */
    if (atomic_load_explicit(&e->reg, memory_order_relaxed) != m->registration)
        return;
    svipc_mpsc_finish_(m, SVIPC_MPSC_SEQ_CANCELLED);
    /* Relaxed: informational. */
    atomic_store_explicit(&e->pid, 0, memory_order_relaxed);
    uint64_t expected = m->registration;
    /* Release: every store we made into the ring happens before a consumer's acquire
     * load of reg that reads the end. */
    atomic_compare_exchange_strong_explicit(&e->reg, &expected, m->registration + 1,
                                            memory_order_release, memory_order_relaxed);
}

/* Joins as a producer: under the lock, ends every registration whose seat is free
 * (its holder died), takes the first free entry and its seat (SEM_UNDO, the entry's
 * pid word). SVIPC_E_ROLE_TAKEN if all P are held. Mpsc::producer. */
static inline int svipc_mpsc_producer(struct svipc_mpsc *m) {
    if (m->ctl == NULL || m->role != 0)
        return SVIPC_E_ARG;
    int r = svipc_mpsc_lock_(m, 1);
    if (r != SVIPC_OK)
        return r;
    for (uint64_t j = 0; j < m->producers; j++) {
        /* Acquire: pairs with the registrant's compare-exchange (MpscRing::registration). */
        uint64_t reg = atomic_load_explicit(&svipc_mpsc_entry_(m, j)->reg, memory_order_acquire);
        if ((reg & 1) == 0)
            continue;
        int v = semctl(m->semid, (int)SVIPC_MPSC_SEM_SEAT(j), GETVAL);
        if (v < 0) {
            svipc_mpsc_unlock_(m);
            return SVIPC_E_SYS;
        }
        /* Registered, its seat free, and no join or leave under way (we hold the
         * lock): its holder died. */
        if (v != 0)
            svipc_mpsc_reclaim_(m, j, reg);
    }
    pid_t pid = getpid();
    if ((r = svipc_mpsc_register_(m, pid)) != SVIPC_OK) {
        svipc_mpsc_unlock_(m);
        return r;
    }
    struct svipc_mpsc_entry *e = svipc_mpsc_entry_(m, m->index);
    unsigned short seat = (unsigned short)SVIPC_MPSC_SEM_SEAT(m->index);
    r = svipc_claim_(m->semid, seat, &e->pid, 1);
    if (r == SVIPC_OK && m->asymmetric &&
        svipc_membarrier_(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != SVIPC_OK) {
        svipc_mpsc_unregister_(m);
        svipc_release_(m->semid, seat, &e->pid, pid);
        svipc_mpsc_unlock_(m);
        return SVIPC_E_UNSUPPORTED;
    }
    if (r != SVIPC_OK)
        svipc_mpsc_unregister_(m);
    svipc_mpsc_unlock_(m);
    if (r != SVIPC_OK)
        return r;
    m->role = SVIPC_MPSC_ROLE_PRODUCER;
    m->pid = pid;
    /* Should this process die, its exit posts the consumer's semaphore, waking a
     * consumer parked on one of its claims at once: a net-zero semop whose SEM_UNDO
     * adjustment is +1 there (Mpsc::producer). Without it the consumer's peer check
     * finds the death. */
    unsigned short wake = (unsigned short)SVIPC_MPSC_SEM_CONSUMER_WAKE(m->producers);
    struct sembuf arm[2] = {{wake, 1, IPC_NOWAIT}, {wake, -1, SEM_UNDO | IPC_NOWAIT}};
    m->death_wake = semop(m->semid, arm, 2) == 0;
    return SVIPC_OK;
}

/* Claims the next position without blocking: 1 (this producer holds a claim; it may
 * already have held one), 0 (full) or SVIPC_E_CORRUPT. MpscProducer::reserve. */
static inline int svipc_mpsc_reserve_(struct svipc_mpsc *m) {
    if (m->claimed)
        return 1;
    struct svipc_mpsc_ctl *c = m->ctl;
    struct svipc_mpsc_entry *e = svipc_mpsc_entry_(m, m->index);
    /* Relaxed: a guess; the seq load and the compare-exchange decide. */
    uint64_t pos = atomic_load_explicit(&c->tail, memory_order_relaxed);
    for (;;) {
        /* Acquire: pairs with the consumer's release store of FREE(pos) after its reads
         * of the slot's previous value (or its skip). */
        uint64_t s = atomic_load_explicit(svipc_mpsc_slot_(m, pos), memory_order_acquire);
        if (s == SVIPC_MPSC_SEQ(pos, SVIPC_MPSC_SEQ_FREE)) {
            /* Release: with the compare-exchange's, a consumer that sees the claim sees
             * this announcement (and our earlier publishes). */
            atomic_store_explicit(&e->claim, pos + 1, memory_order_release);
            uint64_t expected = pos;
            /* Release: publishes the announcement to a consumer whose acquire load of
             * tail reads this or a later value; relaxed on failure (retry). */
            if (atomic_compare_exchange_strong_explicit(&c->tail, &expected, pos + 1,
                                                        memory_order_release,
                                                        memory_order_relaxed)) {
                m->claimed = 1;
                m->claim = pos;
                return 1;
            }
            pos = expected;
            continue;
        }
        /* Signed distance, within the 62 bits of a seq, from pos to the slot's position. */
        int64_t ahead = (int64_t)(((s >> 2) - pos) << 2);
        uint64_t now;
        if (ahead < 0) {
            /* An older lap: full, unless tail is garbage. Acquire: pairs with the
             * consumer's release store of head. */
            uint64_t head = atomic_load_explicit(&c->head, memory_order_acquire);
            uint64_t behind = pos - head;
            if ((int64_t)behind >= 0)
                return behind > 2 * m->capacity ? SVIPC_E_CORRUPT : 0;
            /* head past pos: others claimed pos and more meanwhile. Relaxed: ordered
             * after those claims by the acquire above. */
            now = atomic_load_explicit(&c->tail, memory_order_relaxed);
        } else {
            /* The slot is ahead: another producer claimed pos. Relaxed: as above. */
            now = atomic_load_explicit(&c->tail, memory_order_relaxed);
        }
        if (now == pos)
            return SVIPC_E_CORRUPT;
        pos = now;
    }
}

/* Claims a position without blocking: SVIPC_OK (write it with svipc_mpsc_commit, or
 * give it up with svipc_mpsc_cancel), SVIPC_WOULD_BLOCK (full), or an error. */
static inline int svipc_mpsc_claim(struct svipc_mpsc *m) {
    if (m->role != SVIPC_MPSC_ROLE_PRODUCER)
        return SVIPC_E_ARG;
    int r = svipc_mpsc_reserve_(m);
    return r < 0 ? r : r == 0 ? SVIPC_WOULD_BLOCK : SVIPC_OK;
}

/* Writes item (type_size bytes) into the claimed slot and publishes it; SVIPC_E_ARG
 * without a claim. MpscProducer::reserved and ::commit. */
static inline int svipc_mpsc_commit(struct svipc_mpsc *m, const void *item) {
    if (m->role != SVIPC_MPSC_ROLE_PRODUCER || !m->claimed)
        return SVIPC_E_ARG;
    svipc_store_words_(svipc_mpsc_slot_(m, m->claim) + 1, item, m->type_size);
    svipc_mpsc_finish_(m, SVIPC_MPSC_SEQ_PUBLISHED);
    return SVIPC_OK;
}

/* Gives the claim up (the consumer skips it, not counted as abandoned). */
static inline int svipc_mpsc_cancel(struct svipc_mpsc *m) {
    if (m->role != SVIPC_MPSC_ROLE_PRODUCER || !m->claimed)
        return SVIPC_E_ARG;
    svipc_mpsc_finish_(m, SVIPC_MPSC_SEQ_CANCELLED);
    return SVIPC_OK;
}

/* Sends one value: SVIPC_OK, SVIPC_WOULD_BLOCK (full), or an error. Never blocks.
 * MpscProducer::push. */
static inline int svipc_mpsc_send(struct svipc_mpsc *m, const void *item) {
    int r = svipc_mpsc_claim(m);
    return r == SVIPC_OK ? svipc_mpsc_commit(m, item) : r;
}

/* A producer's side of svipc_block_ (MpscProducer's Waiter): its attempt claims. */
static inline int svipc_mpsc_claim_attempt_(struct svipc_waiter_ *w) {
    return svipc_mpsc_claim(w->side);
}

static inline int svipc_mpsc_consumer_died_(struct svipc_waiter_ *w) {
    struct svipc_mpsc *m = w->side;
    /* The consumer died holding its role (Seat::abandoned). */
    return svipc_seat_abandoned_(m->semid, (unsigned short)SVIPC_MPSC_SEM_CONSUMER(m->producers),
                                 &m->ctl->consumer_pid);
}

/* Sends one value, waiting while the ring is full: spins `spins` times, then parks
 * on the producer's semaphore until the consumer frees a slot. SVIPC_OK,
 * SVIPC_E_TIMED_OUT (timeout, for the whole call, ran out), SVIPC_E_PEER_DIED (the
 * consumer died holding its role and the ring is still full), or an error.
 * MpscProducer::push_blocking (block). */
static inline int svipc_mpsc_send_wait(struct svipc_mpsc *m, const void *item, unsigned spins,
                                       const struct timespec *timeout) {
    if (m->role != SVIPC_MPSC_ROLE_PRODUCER)
        return SVIPC_E_ARG;
    struct svipc_waiter_ w = {
        .side = m,
        .semid = m->semid,
        .own = (unsigned short)SVIPC_MPSC_SEM_PRODUCER_WAKE(m->producers, m->index),
        /* Pairs with the barrier after the consumer's head store (advance). */
        .asymmetric = m->asymmetric,
        .waiting = &m->ctl->producers_waiting,
        .bit = UINT64_C(1) << m->index,
        .parks = &m->parks,
        .wakes = &m->wakes,
        .attempt = svipc_mpsc_claim_attempt_,
        /* The re-check is a claim, as the attempt (block's). */
        .recheck = svipc_mpsc_claim_attempt_,
        .peer_died = svipc_mpsc_consumer_died_,
    };
    int r = svipc_block_(&w, spins, timeout);
    /* Claimed (its announcement withdrawn first, if it parked): write and publish. */
    return r == SVIPC_OK ? svipc_mpsc_commit(m, item) : r;
}

/* Leaves: cancels a claim held, ends the registration and frees the seat, under the
 * lock (Sender's drop, Role::release_under). Only in the process that joined. */
static inline void svipc_mpsc_leave(struct svipc_mpsc *m) {
    if (m->role != SVIPC_MPSC_ROLE_PRODUCER || getpid() != m->pid)
        return;
    /* Without the lock (an error taking it) the leave still happens. */
    int locked = svipc_mpsc_lock_(m, 1) == SVIPC_OK;
    svipc_mpsc_unregister_(m);
    if (m->death_wake) {
        /* Takes the adjustment back, again net zero: a clean leave wakes nobody. */
        unsigned short wake = (unsigned short)SVIPC_MPSC_SEM_CONSUMER_WAKE(m->producers);
        struct sembuf disarm[2] = {{wake, 1, SEM_UNDO | IPC_NOWAIT}, {wake, -1, IPC_NOWAIT}};
        (void)semop(m->semid, disarm, 2);
        m->death_wake = 0;
    }
    svipc_release_(m->semid, (unsigned short)SVIPC_MPSC_SEM_SEAT(m->index),
                   &svipc_mpsc_entry_(m, m->index)->pid, m->pid);
    if (locked)
        svipc_mpsc_unlock_(m);
    m->role = 0;
}

/* Takes the consumer role (reclaim takes over an abandoned one), then moves head over
 * the slots a killed predecessor handed back without storing it. Mpsc::consumer_with
 * and MpscConsumer::new. */
static inline int svipc_mpsc_consumer(struct svipc_mpsc *m, int reclaim) {
    if (m->ctl == NULL || m->role != 0)
        return SVIPC_E_ARG;
    struct svipc_mpsc_ctl *c = m->ctl;
    unsigned short seat = (unsigned short)SVIPC_MPSC_SEM_CONSUMER(m->producers);
    int r = svipc_claim_(m->semid, seat, &c->consumer_pid, reclaim);
    if (r != SVIPC_OK)
        return r;
    pid_t pid = getpid();
    /* Acquire: pairs with the previous consumer's release store. */
    uint64_t head = atomic_load_explicit(&c->head, memory_order_acquire);
    for (uint64_t i = 0; i < m->capacity; i++) {
        /* Acquire: pairs with the predecessor's release store of the slot. */
        if (atomic_load_explicit(svipc_mpsc_slot_(m, head), memory_order_acquire) !=
            SVIPC_MPSC_SEQ(head + m->capacity, SVIPC_MPSC_SEQ_FREE))
            break;
        head++;
    }
    /* Acquire: pairs with the producers' release compare-exchanges. */
    uint64_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
    if (tail - head > m->capacity)
        r = SVIPC_E_CORRUPT;
    else if (m->asymmetric &&
             svipc_membarrier_(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != SVIPC_OK)
        r = SVIPC_E_UNSUPPORTED;
    if (r != SVIPC_OK) {
        svipc_release_(m->semid, seat, &c->consumer_pid, pid);
        return r;
    }
    /* Release: for observers and producers' checks, as after a receive. */
    atomic_store_explicit(&c->head, head, memory_order_release);
    m->head = head;
    /* Relaxed: our predecessors' statistic, carried on. */
    m->abandoned = atomic_load_explicit(&c->abandoned, memory_order_relaxed);
    m->role = SVIPC_MPSC_ROLE_CONSUMER;
    m->pid = pid;
    return SVIPC_OK;
}

/* Whether registration reg of entry j is still in force: reg unchanged and its seat
 * held; a free seat is decided under the lock (IPC_NOWAIT: held, ask again at the
 * next look), where a dead holder's registration is ended. Env::is_alive in
 * src/mpsc.rs. */
static inline int svipc_mpsc_alive_(struct svipc_mpsc *m, uint64_t j, uint64_t reg) {
    _Atomic uint64_t *word = &svipc_mpsc_entry_(m, j)->reg;
    /* Acquire: as MpscRing::registration. */
    if (atomic_load_explicit(word, memory_order_acquire) != reg)
        return 0;
    int v = semctl(m->semid, (int)SVIPC_MPSC_SEM_SEAT(j), GETVAL);
    if (v <= 0)
        return 1;
    if (svipc_mpsc_lock_(m, 0) != SVIPC_OK)
        return 1;
    int alive = 0;
    /* Acquire: as above. */
    if (atomic_load_explicit(word, memory_order_acquire) == reg) {
        v = semctl(m->semid, (int)SVIPC_MPSC_SEM_SEAT(j), GETVAL);
        if (v > 0)
            svipc_mpsc_reclaim_(m, j, reg);
        else
            alive = 1;
    }
    svipc_mpsc_unlock_(m);
    return alive;
}

/* Moves head by one (its slot already handed back) and wakes parked producers.
 * MpscConsumer::advance. */
static inline void svipc_mpsc_advance_(struct svipc_mpsc *m) {
    struct svipc_mpsc_ctl *c = m->ctl;
    m->head++;
    /* Release: pairs with the acquire load of head in reserve; after the slot. */
    atomic_store_explicit(&c->head, m->head, memory_order_release);
    /* Pairs with a parking producer's barrier: either its re-check sees the slot we
     * freed, or the load below sees its bit. */
    svipc_light_(m->asymmetric);
    /* Relaxed: ordered by the barrier. */
    if (atomic_load_explicit(&c->producers_waiting, memory_order_relaxed) == 0)
        return;
    /* Acquire: pairs with the release announcement of an asynchronous producer, so
     * its entry's wait word (stored before) is seen below. */
    uint64_t bits = atomic_exchange_explicit(&c->producers_waiting, 0, memory_order_acquire);
    for (uint64_t j = 0; j < 64; j++) {
        /* Bits past the table are garbage: cleared, nobody to wake. */
        if ((bits >> j & 1) == 0 || j >= m->producers)
            continue;
        /* The producer's way of waiting (layout version 7): a futex wake of its entry's
         * wait word, or a post of its semaphore. */
        _Atomic uint64_t *wait = &svipc_mpsc_entry_(m, j)->wait;
        uint64_t taken = atomic_load_explicit(wait, memory_order_relaxed) != 0
                             ? atomic_exchange_explicit(wait, 0, memory_order_relaxed)
                             : 0;
        if (taken & SVIPC_WAITING_WORD)
            syscall(SYS_futex, (uint32_t *)wait, 1 /* FUTEX_WAKE, shared */, INT_MAX, NULL, NULL,
                    0);
        else
            svipc_semop_(m->semid, (unsigned short)SVIPC_MPSC_SEM_PRODUCER_WAKE(m->producers, j),
                         1, 0);
    }
}

/* Looks at head: 1 a value to take, 2 skipped (a cancelled or abandoned claim; head
 * moved on), 0 wait (empty, or claimed by a live producer), or SVIPC_E_CORRUPT.
 * MpscConsumer::at_head. */
static inline int svipc_mpsc_at_head_(struct svipc_mpsc *m) {
    uint64_t k = m->head, n = m->capacity;
    _Atomic uint64_t *seq = svipc_mpsc_slot_(m, k);
    /* Acquire: pairs with the producer's release store in finish (the value). */
    uint64_t s = atomic_load_explicit(seq, memory_order_acquire);
    if (s == SVIPC_MPSC_SEQ(k, SVIPC_MPSC_SEQ_PUBLISHED))
        return 1;
    if (s == SVIPC_MPSC_SEQ(k, SVIPC_MPSC_SEQ_CANCELLED)) {
        /* Release: pairs with a producer's acquire load in reserve. */
        atomic_store_explicit(seq, SVIPC_MPSC_SEQ(k + n, SVIPC_MPSC_SEQ_FREE),
                              memory_order_release);
        svipc_mpsc_advance_(m);
        return 2;
    }
    if (s != SVIPC_MPSC_SEQ(k, SVIPC_MPSC_SEQ_FREE))
        return SVIPC_E_CORRUPT;
    /* Acquire: pairs with the release compare-exchanges of tail, so the claimer's
     * announcement is visible. */
    uint64_t claimed = atomic_load_explicit(&m->ctl->tail, memory_order_acquire) - k;
    if (claimed == 0)
        return 0;
    if (claimed > n)
        return SVIPC_E_CORRUPT;
    /* Claimed, not published: who holds it? */
    for (uint64_t j = 0; j < m->producers; j++) {
        struct svipc_mpsc_entry *e = svipc_mpsc_entry_(m, j);
        /* Acquire (both): pair with the registrant's compare-exchange and its release
         * announcement (or reset). */
        uint64_t reg = atomic_load_explicit(&e->reg, memory_order_acquire);
        if ((reg & 1) == 0 || atomic_load_explicit(&e->claim, memory_order_acquire) != k + 1)
            continue;
        /* Pending: a slow producer is waited for, never skipped. */
        if (svipc_mpsc_alive_(m, j, reg))
            return 0;
    }
    /* Every registration that could hold it has ended: skip it, unless it was
     * published meanwhile. acq_rel: release pairs with a producer's acquire in
     * reserve; acquire on failure makes a publish we lost to visible. */
    uint64_t expected = SVIPC_MPSC_SEQ(k, SVIPC_MPSC_SEQ_FREE);
    if (atomic_compare_exchange_strong_explicit(seq, &expected,
                                                SVIPC_MPSC_SEQ(k + n, SVIPC_MPSC_SEQ_FREE),
                                                memory_order_acq_rel, memory_order_acquire)) {
        m->abandoned++;
        /* Relaxed: a statistic. */
        atomic_store_explicit(&m->ctl->abandoned, m->abandoned, memory_order_relaxed);
        svipc_mpsc_advance_(m);
    }
    return 2;
}

/* Receives the next value into item (type_size bytes): SVIPC_OK, SVIPC_WOULD_BLOCK
 * (empty, or the next position claimed by a live producer), or an error. Cancelled
 * and abandoned claims are skipped first (the latter counted in ->abandoned). Never
 * blocks. MpscConsumer::pop of one value. */
static inline int svipc_mpsc_recv(struct svipc_mpsc *m, void *item) {
    if (m->role != SVIPC_MPSC_ROLE_CONSUMER)
        return SVIPC_E_ARG;
    int r;
    while ((r = svipc_mpsc_at_head_(m)) == 2)
        ;
    if (r <= 0)
        return r < 0 ? r : SVIPC_WOULD_BLOCK;
    _Atomic uint64_t *seq = svipc_mpsc_slot_(m, m->head);
    svipc_load_words_(item, seq + 1, m->type_size);
    /* Release: our reads of the value happen before a producer's acquire load in
     * reserve lets it overwrite them (MpscConsumer::release). */
    atomic_store_explicit(seq, SVIPC_MPSC_SEQ(m->head + m->capacity, SVIPC_MPSC_SEQ_FREE),
                          memory_order_release);
    svipc_mpsc_advance_(m);
    return SVIPC_OK;
}

/* No producer seat is held, and a producer died holding one: ProducersGone::died. */
static inline int svipc_mpsc_producers_gone_(struct svipc_waiter_ *w) {
    struct svipc_mpsc *m = w->side;
    for (uint64_t j = 0; j < m->producers; j++)
        if (semctl(m->semid, (int)SVIPC_MPSC_SEM_SEAT(j), GETVAL) == 0)
            return 0;
    for (uint64_t j = 0; j < m->producers; j++)
        /* Relaxed: markers; the seats are the truth. */
        if (atomic_load_explicit(&svipc_mpsc_entry_(m, j)->pid, memory_order_relaxed) != 0)
            return 1;
    return 0;
}

/* The consumer's side of svipc_block_ (MpscConsumer's Waiter). */
static inline int svipc_mpsc_recv_attempt_(struct svipc_waiter_ *w) {
    return svipc_mpsc_recv(w->side, w->item);
}

/* Receives the next value, waiting while there is none: spins `spins` times, then
 * parks on the consumer's semaphore until a producer publishes (a claim whose
 * producer died is skipped at the next peer check). SVIPC_OK, SVIPC_E_TIMED_OUT,
 * SVIPC_E_PEER_DIED (no producer left, one died, and the ring is drained), or an
 * error. MpscConsumer::pop_blocking (block). */
static inline int svipc_mpsc_recv_wait(struct svipc_mpsc *m, void *item, unsigned spins,
                                       const struct timespec *timeout) {
    if (m->role != SVIPC_MPSC_ROLE_CONSUMER)
        return SVIPC_E_ARG;
    struct svipc_waiter_ w = {
        .side = m,
        .item = item,
        .semid = m->semid,
        .own = (unsigned short)SVIPC_MPSC_SEM_CONSUMER_WAKE(m->producers),
        /* Pairs with the barrier after a producer's publish, cancel or registration. */
        .asymmetric = m->asymmetric,
        .waiting = &m->ctl->consumer_waiting,
        .parks = &m->parks,
        .wakes = &m->wakes,
        .attempt = svipc_mpsc_recv_attempt_,
        /* The re-check is a receive, as the attempt (block's). */
        .recheck = svipc_mpsc_recv_attempt_,
        .peer_died = svipc_mpsc_producers_gone_,
    };
    return svipc_block_(&w, spins, timeout);
}

/* Gives the consumer role back (clean release). */
static inline void svipc_mpsc_release(struct svipc_mpsc *m) {
    if (m->role == SVIPC_MPSC_ROLE_CONSUMER)
        svipc_release_(m->semid, (unsigned short)SVIPC_MPSC_SEM_CONSUMER(m->producers),
                       &m->ctl->consumer_pid, m->pid);
    m->role = 0;
}

/* Leaves or releases whatever role this process holds, and detaches. */
static inline void svipc_mpsc_close(struct svipc_mpsc *m) {
    if (m->role == SVIPC_MPSC_ROLE_PRODUCER)
        svipc_mpsc_leave(m);
    svipc_mpsc_release(m);
    if (m->ctl != NULL)
        shmdt(m->ctl);
    m->ctl = NULL;
}

#endif /* SYSV_IPC_PROTOCOL_H */
