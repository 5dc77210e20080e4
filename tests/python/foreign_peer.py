# The Python side of tests/foreign_struct.rs, run after the module that
# sysv_ipc::foreign::render_python rendered (it defines `Robot` and `Pose`, and
# asserts their layout on import). Attaches the segment whose id is argv[1] with
# libc's shmat, maps `Robot` over it with from_address, prints the fields Rust wrote
# (the same lines as tests/c/foreign_peer.c) and writes the fields the test expects
# from a peer, in place.
import ctypes
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.restype = ctypes.c_int
libc.shmdt.argtypes = [ctypes.c_void_p]

addr = libc.shmat(int(sys.argv[1]), None, 0)
if addr is None or addr == ctypes.c_void_p(-1).value:
    raise OSError(ctypes.get_errno(), "shmat")
r = Robot.from_address(addr)


def bits64(v):
    return "%016x" % struct.unpack("=Q", struct.pack("=d", v))[0]


def bits32(v):
    return "%08x" % struct.unpack("=I", struct.pack("=f", v))[0]


def print_pose(name, p):
    print("%s.x %s" % (name, bits64(p.x)))
    print("%s.y %s" % (name, bits64(p.y)))
    print("%s.heading %s" % (name, bits32(p.heading)))
    print("%s.quality %d" % (name, p.quality))


# What Rust wrote.
print("serial %d" % r.serial)
print("temp_mc %d" % r.temp_mc)
print_pose("pose", r.pose)
for i in range(2):
    for j in range(4):
        print("samples[%d][%d] %d" % (i, j, r.samples[i][j]))
print("tiny %d" % r.tiny)
print("gain %s" % bits32(r.gain))
print_pose("path[0]", r.path[0])

# What the Rust test expects a peer to write (the same in foreign_peer.c).
r.flags = 0xC0FFEE01
r.level = -12345
r.bits = 0xA5
r.offsets[0][0] = -1
r.offsets[0][1] = -(2**63)
r.offsets[1][0] = 2**63 - 1
r.offsets[1][1] = 42
r.path[1].x = -2.25
r.path[1].y = 1e300
r.path[1].heading = -0.0
r.path[1].quality = 77

del r
if libc.shmdt(addr) != 0:
    raise OSError(ctypes.get_errno(), "shmdt")
