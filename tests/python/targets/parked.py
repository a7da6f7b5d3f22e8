# SPDX-License-Identifier: GPL-2.0
# Threads parked in different places, for tests/python/check-frames.sh:
# a lock taken in a `with` (held by the main thread), Event.wait, queue.get,
# time.sleep, and a call chain 50 deep ending in Event.wait. faulthandler
# dumps every thread into argv[1] on SIGUSR1; "ready" goes to stdout once
# every worker is in its wait.
import faulthandler
import os
import queue
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import parking  # noqa: E402

DEPTH = 50

dump = open(sys.argv[1], "w")
faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)

held = threading.Lock()
never = threading.Event()
jobs = queue.Queue()


def take_lock():
    with held:
        pass


def wait_event():
    never.wait()


def get_job():
    jobs.get()


def nap():
    while True:
        time.sleep(3600)


class Deep:
    def down(self, n):
        if n == 0:
            never.wait()
            return
        self.down(n - 1)


held.acquire()
workers = [
    threading.Thread(target=take_lock, name="lock", daemon=True),
    threading.Thread(target=wait_event, name="event", daemon=True),
    threading.Thread(target=get_job, name="queue", daemon=True),
    threading.Thread(target=nap, name="sleep", daemon=True),
    threading.Thread(target=Deep().down, args=(DEPTH,), name="deep", daemon=True),
]
for w in workers:
    w.start()
parking.wait(workers)
print("ready", flush=True)
while True:
    time.sleep(3600)
