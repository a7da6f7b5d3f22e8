# SPDX-License-Identifier: GPL-2.0
# The target of bench/pyframes.sh: NTHREADS threads, each DEPTH Python frames
# deep (Thread._bootstrap, _bootstrap_inner, run, down() for DEPTH - 5 frames, then
# Event.wait and Condition.wait), parked in a lock acquire in C under the eval loop.
# Prints "ready" once every thread is in the kernel.
# usage: python3 bench/pydeep.py NTHREADS DEPTH
import sys
import threading
import time

NTHREADS = int(sys.argv[1])
DEPTH = int(sys.argv[2])
never = threading.Event()
parked = threading.Semaphore(0)


def down(n):
    if n == 0:
        parked.release()
        never.wait()
        return
    down(n - 1)


threading.stack_size(256 * 1024)
threads = [threading.Thread(target=down, args=(DEPTH - 6,), daemon=True) for _ in range(NTHREADS)]
for t in threads:
    t.start()
for _ in threads:
    parked.acquire()


def asleep(native_id):
    try:
        with open("/proc/self/task/%d/stat" % native_id) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "S"
    except OSError:
        return False


while not all(asleep(t.native_id) for t in threads):
    time.sleep(0.05)
print("ready", flush=True)
while True:
    time.sleep(3600)
