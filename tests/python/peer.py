"""The Python side of tests/interop_python.rs: Python's `sysv_ipc` package on the
other end of a message queue, a semaphore and a shared memory segment made by the
Rust crate, and its `ftok` beside the crate's.

    peer.py msg <key>                 receives Rust's messages, sends its own
    peer.py sem <key>                 acquires (Rust releases), then releases
    peer.py shm <key> <shmid>         reads the struct Rust wrote, writes one back
    peer.py ftok <proj> <path>...     prints ftok(path, proj) for each path

Everything seen is printed on stdout, one line per item, for the Rust side to
compare; a failure is a traceback on stderr and a non-zero exit. An alarm bounds
every run, so a blocked peer never outlives its test.
"""

import os
import signal
import struct
import sys

import sysv_ipc

# `Record` in tests/interop_python.rs (#[repr(C)]): u64, i32, u32, f64, [u8; 8].
RECORD = struct.Struct("=QiId8s")
# `Telemetry`: u64, [f64; 3], i32, u16, u8, [u8; 9], i64 — 56 bytes, no padding.
TELEMETRY = struct.Struct("=Q3diHB9sq")
assert RECORD.size == 32 and TELEMETRY.size == 56


def msg(key):
    """Rust queued 5 b"first", 2 <record>, 1_000_000 b"big type". Take them in
    queue order (type 0), then queue 7 b"from python", 3 <record>, 7 b""."""
    mq = sysv_ipc.MessageQueue(key)
    print("id", mq.id)
    record = None
    for _ in range(3):
        data, mtype = mq.receive(block=True, type=0)
        print("recv", mtype, len(data), data.hex())
        if mtype == 2:
            record = RECORD.unpack(data)
    seq, temp, flags, value, tag = record
    print("record seq", seq, "temp", temp, "flags", hex(flags), "value", repr(value),
          "tag", tag.rstrip(b"\0").decode())
    mq.send(b"from python", block=True, type=7)
    reply = RECORD.pack(seq * 3, temp + 1000, flags >> 4, -value, b"python\0\0")
    mq.send(reply, block=True, type=3)
    mq.send(b"", block=True, type=7)


def sem(key):
    """The set has one semaphore at 0: acquire blocks until Rust releases one.
    Then release three, fail to take five without blocking, and report."""
    s = sysv_ipc.Semaphore(key)
    print("start", s.value)
    s.acquire(timeout=20)
    print("acquired", s.value, "last_pid_is_me", int(s.last_pid == os.getpid()))
    s.release(delta=3)
    s.block = False
    try:
        s.acquire(delta=5)
        print("took five")
    except sysv_ipc.BusyError:
        print("busy", s.value)


def shm(key, shmid):
    """Read the Telemetry Rust wrote, print it, write a transformed one back."""
    m = sysv_ipc.SharedMemory(key)
    print("id_matches", int(m.id == shmid), "size", m.size)
    seq, x, y, z, temp, status, flags, name, stamp = TELEMETRY.unpack(m.read(TELEMETRY.size))
    print("read seq", seq, "position", repr(x), repr(y), repr(z), "temp_millis", temp,
          "status", status, "flags", flags, "name", name.decode(), "stamp", stamp)
    m.write(TELEMETRY.pack(seq * 2, -x, -y, -z, temp + 7, status ^ 0xFFFF, flags >> 1,
                           b"py-writer", stamp + 1))
    m.detach()


def ftok(proj, paths):
    # Decimal: key_t is signed, and a proj of 128 or more makes the key negative.
    for path in paths:
        print(sysv_ipc.ftok(path, proj, silence_warning=True))


def main(argv):
    signal.alarm(30)
    mode, args = argv[0], argv[1:]
    if mode == "msg":
        msg(int(args[0]))
    elif mode == "sem":
        sem(int(args[0]))
    elif mode == "shm":
        shm(int(args[0]), int(args[1]))
    elif mode == "ftok":
        ftok(int(args[0]), args[1:])
    else:
        sys.exit("usage: peer.py msg|sem|shm|ftok ...")


if __name__ == "__main__":
    main(sys.argv[1:])
