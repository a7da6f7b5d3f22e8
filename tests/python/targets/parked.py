# SPDX-License-Identifier: GPL-2.0
# Threads parked in different places, for tests/python/check-frames.sh:
# a lock taken in a `with` (held by the main thread), Event.wait, queue.get,
# time.sleep, and a call chain 50 deep ending in Event.wait. faulthandler
# dumps every thread into argv[1] on SIGUSR1; "ready" goes to stdout once
# every worker is in its wait.
import faulthandler
import queue
import signal
import sys
import threading
import time

DEPTH = 50

dump = open(sys.argv[1], "w")
faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)

held = threading.Lock()
never = threading.Event()
jobs = queue.Queue()
entered = []


def take_lock():
    entered.append("lock")
    with held:
        pass


def wait_event():
    entered.append("event")
    never.wait()


def get_job():
    entered.append("queue")
    jobs.get()


def nap():
    entered.append("sleep")
    while True:
        time.sleep(3600)


class Deep:
    def down(self, n):
        if n == 0:
            entered.append("deep")
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
while len(entered) < len(workers):
    time.sleep(0.01)
# Past the line that said so, each worker is one call from its wait.
time.sleep(0.3)
print("ready", flush=True)
while True:
    time.sleep(3600)
