/*
 * The C side of tests/foreign_struct.rs: attaches the segment whose id is argv[1]
 * (a Shm<Robot> the Rust test holds), prints the fields Rust wrote, one line each
 * (integers in decimal, floats as the hex of their IEEE bits), then writes the
 * fields the Rust test expects from a peer, in place. `Robot` and `Pose` come from
 * robot.h, which the test renders with sysv_ipc::foreign::render_c.
 *
 * Plain accesses are enough: the Rust side neither reads nor writes the segment
 * until this process has exited.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "robot.h"

static uint64_t bits64(double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static uint32_t bits32(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static void print_pose(const char *name, const Pose *p) {
    printf("%s.x %016" PRIx64 "\n", name, bits64(p->x));
    printf("%s.y %016" PRIx64 "\n", name, bits64(p->y));
    printf("%s.heading %08" PRIx32 "\n", name, bits32(p->heading));
    printf("%s.quality %" PRIu32 "\n", name, p->quality);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SHMID\n", argv[0]);
        return 2;
    }
    int id = atoi(argv[1]);
    Robot *r = shmat(id, NULL, 0);
    if (r == (void *)-1) {
        perror("shmat");
        return 1;
    }
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0) {
        perror("shmctl");
        return 1;
    }
    printf("segsz %zu nattch %lu\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);

    /* What Rust wrote. */
    printf("serial %" PRIu64 "\n", r->serial);
    printf("temp_mc %" PRId32 "\n", r->temp_mc);
    print_pose("pose", &r->pose);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            printf("samples[%d][%d] %" PRIu16 "\n", i, j, r->samples[i][j]);
    printf("tiny %" PRId8 "\n", r->tiny);
    printf("gain %08" PRIx32 "\n", bits32(r->gain));
    print_pose("path[0]", &r->path[0]);

    /* What the Rust test expects a peer to write (the same in foreign_peer.py). */
    r->flags = UINT32_C(0xC0FFEE01);
    r->level = -12345;
    r->bits = 0xA5;
    r->offsets[0][0] = -1;
    r->offsets[0][1] = INT64_MIN;
    r->offsets[1][0] = INT64_MAX;
    r->offsets[1][1] = 42;
    r->path[1].x = -2.25;
    r->path[1].y = 1e300;
    r->path[1].heading = -0.0f;
    r->path[1].quality = 77;

    if (shmdt(r) != 0) {
        perror("shmdt");
        return 1;
    }
    return 0;
}
