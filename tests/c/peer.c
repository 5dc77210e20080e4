/*
 * The C side of tests/interop_c.rs: a plain C program, using only the C library's
 * System V IPC calls, on the other end of a message queue, a semaphore set and a
 * shared memory segment that the Rust test made with sysv-ipc.
 *
 *   peer layout                  prints sizeof/offsetof of the shared structs
 *   peer msg <msqid> <path>      receives what Rust sent, sends its own messages
 *   peer sem <semid>             waits on semaphore 0 until Rust posts, answers
 *   peer shm <shmid>             reads the struct Rust wrote, writes one back
 *
 * Everything received is printed on stdout, one line per item, so the Rust side
 * compares the exact bytes and order; any failure is a message on stderr and exit
 * status 1. alarm() bounds every run: a blocked peer never outlives its test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

/* Declared field for field like `Record` in tests/interop_c.rs (#[repr(C)]). */
struct record {
    uint64_t seq;
    int32_t temp;
    uint32_t flags;
    double value;
    uint8_t tag[8];
};
_Static_assert(sizeof(struct record) == 32, "record: no padding, 32 bytes");

/* Declared field for field like `Telemetry` in tests/interop_c.rs. */
struct telemetry {
    uint64_t seq;
    double position[3];
    int32_t temp_millis;
    uint16_t status;
    uint8_t flags;
    char name[9];
    int64_t stamp;
};
_Static_assert(sizeof(struct telemetry) == 56, "telemetry: no padding, 56 bytes");

/* semctl's fourth argument: the caller declares it (semctl(2)). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* A message as msgsnd/msgrcv see it: mtype, then the text. */
struct msg {
    long mtype;
    union {
        char bytes[256];
        struct record record;
    } text;
};

static void die(const char *what) {
    fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *what) {
    fprintf(stderr, "peer: %s\n", what);
    exit(1);
}

static void print_hex(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

static int layout(void) {
    printf("record %zu seq %zu temp %zu flags %zu value %zu tag %zu\n",
           sizeof(struct record), offsetof(struct record, seq),
           offsetof(struct record, temp), offsetof(struct record, flags),
           offsetof(struct record, value), offsetof(struct record, tag));
    printf("telemetry %zu seq %zu position %zu temp_millis %zu status %zu flags %zu "
           "name %zu stamp %zu\n",
           sizeof(struct telemetry), offsetof(struct telemetry, seq),
           offsetof(struct telemetry, position), offsetof(struct telemetry, temp_millis),
           offsetof(struct telemetry, status), offsetof(struct telemetry, flags),
           offsetof(struct telemetry, name), offsetof(struct telemetry, stamp));
    return 0;
}

/*
 * Rust queued, in this order: mtype 5 "first", mtype 2 a struct record, mtype 5
 * "third". The peer takes them in queue order (msgtyp 0), prints each as
 * "<mtype> <length> <hex>", then the record field by field; then sends its own:
 * mtype 9 "from C", mtype 4 a record, mtype 9 "last".
 */
static int msg(int msqid, const char *path) {
    /* The key Rust made with Key::ftok(path, 'I') names this same queue. */
    key_t key = ftok(path, 'I');
    if (key == -1)
        die("ftok");
    int by_key = msgget(key, 0);
    if (by_key == -1)
        die("msgget(ftok key)");
    printf("key %#x id %d\n", (unsigned)key, by_key);
    if (by_key != msqid)
        fail("the ftok key names another queue");

    struct msg m;
    struct record r;
    for (int i = 0; i < 3; i++) {
        ssize_t n = msgrcv(msqid, &m, sizeof m.text, 0, 0);
        if (n < 0)
            die("msgrcv");
        printf("recv %ld %zd ", m.mtype, n);
        print_hex(&m.text, (size_t)n);
        printf("\n");
        if (m.mtype == 2) {
            if (n != sizeof r)
                fail("the record message has the wrong size");
            memcpy(&r, &m.text.record, sizeof r);
        }
    }
    printf("record seq %llu temp %d flags %#x value %.17g tag %.8s\n",
           (unsigned long long)r.seq, r.temp, r.flags, r.value, (const char *)r.tag);

    m.mtype = 9;
    strcpy(m.text.bytes, "from C");
    if (msgsnd(msqid, &m, strlen("from C"), 0) != 0)
        die("msgsnd 9");
    m.mtype = 4;
    m.text.record = (struct record){
        .seq = r.seq + 1,
        .temp = -r.temp,
        .flags = r.flags ^ 0xffffffffu,
        .value = r.value * 2,
        .tag = {'f', 'r', 'o', 'm', ' ', 'C', '!', '\0'},
    };
    if (msgsnd(msqid, &m, sizeof(struct record), 0) != 0)
        die("msgsnd 4");
    m.mtype = 9;
    strcpy(m.text.bytes, "last");
    if (msgsnd(msqid, &m, strlen("last"), 0) != 0)
        die("msgsnd 9 (last)");
    return 0;
}

/*
 * A set of 3: the peer waits on semaphore 0 (Rust posts it), reports what it sees,
 * sets semaphore 2 to 42 with SETVAL and posts semaphore 1, which Rust waits on.
 */
static int sem(int semid) {
    struct sembuf take = {.sem_num = 0, .sem_op = -1, .sem_flg = 0};
    if (semop(semid, &take, 1) != 0)
        die("semop wait 0");
    int v0 = semctl(semid, 0, GETVAL);
    int v2 = semctl(semid, 2, GETVAL);
    int pid0 = semctl(semid, 0, GETPID);
    if (v0 < 0 || v2 < 0 || pid0 < 0)
        die("semctl GETVAL/GETPID");
    /* sempid of semaphore 0 is the last process that operated on it: this one. */
    printf("after wait: sem0 %d sem2 %d sempid0_is_me %d\n", v0, v2, pid0 == getpid());
    if (semctl(semid, 2, SETVAL, (union semun){.val = 42}) != 0)
        die("semctl SETVAL");
    struct sembuf post = {.sem_num = 1, .sem_op = 1, .sem_flg = 0};
    if (semop(semid, &post, 1) != 0)
        die("semop post 1");
    printf("pid %d\n", (int)getpid());
    return 0;
}

/* Reads the telemetry Rust wrote, prints it, writes a transformed one back. */
static int shm(int shmid) {
    struct shmid_ds ds;
    if (shmctl(shmid, IPC_STAT, &ds) != 0)
        die("shmctl IPC_STAT");
    printf("segsz %zu nattch %lu\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
    struct telemetry *t = shmat(shmid, NULL, 0);
    if (t == (void *)-1)
        die("shmat");
    struct telemetry in = *t;
    printf("read seq %llu position %.17g %.17g %.17g temp_millis %d status %u flags %u "
           "name %.9s stamp %lld\n",
           (unsigned long long)in.seq, in.position[0], in.position[1], in.position[2],
           in.temp_millis, in.status, in.flags, in.name, (long long)in.stamp);
    struct telemetry out = {
        .seq = in.seq + 1,
        .position = {in.position[2], in.position[1], in.position[0]},
        .temp_millis = in.temp_millis - 1000,
        .status = (uint16_t)(in.status << 1),
        .flags = (uint8_t)~in.flags,
        .name = "c-writer",
        .stamp = -in.stamp,
    };
    /* Field by field, as a C program updating a shared struct in place would. */
    t->seq = out.seq;
    memcpy(t->position, out.position, sizeof out.position);
    t->temp_millis = out.temp_millis;
    t->status = out.status;
    t->flags = out.flags;
    memcpy(t->name, out.name, sizeof out.name);
    t->stamp = out.stamp;
    if (shmdt(t) != 0)
        die("shmdt");
    return 0;
}

int main(int argc, char **argv) {
    alarm(30);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "layout") == 0)
        return layout();
    if (argc == 4 && strcmp(argv[1], "msg") == 0)
        return msg(atoi(argv[2]), argv[3]);
    if (argc == 3 && strcmp(argv[1], "sem") == 0)
        return sem(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "shm") == 0)
        return shm(atoi(argv[2]));
    fprintf(stderr, "usage: peer layout | msg <msqid> <path> | sem <semid> | shm <shmid>\n");
    return 2;
}
