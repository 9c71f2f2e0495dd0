"""scripts/faults: the fault matrix. Each row runs a steady press load through nginx
(loadtest/run in wrk mode, paced), injects one fault mid-run and ends it, then reconciles:
every acknowledged press once in Kafka, PostgreSQL and ClickHouse (loadtest/run's
reconciliation), duplicates counted per store. A prober (prober.py) presses every 100 ms to
time the recovery: from the fault's end to the first 2xx, and to PostgreSQL and ClickHouse
holding what the prober had been acknowledged by then.

The stack is the one named by $BUTTON_STACK_ENV (else .run/stack.env); it is left as it was
found after every row (every part running, the broker up with no added round trip).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from . import prober as probing
from . import stores
from .stack import (StackError, default_env_file, postgres_environment, read_stack_env, require_loopback,
                    require_no_rate_limit)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = os.path.join(ROOT, "scripts", "stack")
LOADTEST = os.path.join(ROOT, "loadtest", "run")
RECONCILE = os.path.join(ROOT, "loadtest", "reconcile")
PARTS = ("postgres", "broker", "clickhouse", "registry", "nginx", "workers", "sink", "enricher", "stats")
# Answers after which the press may still have been recorded: no answer, or nginx's own
# error for an upstream that failed mid-request. A 503 is the worker's: its Kafka wait ended
# with the message's own timeout (ButtonConfiguration.messageTimeout), so it was not recorded.
IN_DOUBT_STATUSES = (0, 500, 502, 504)


class FaultError(Exception):
    """A row could not be run or the stack could not be put back."""


class Stack:
    """The running stack: its addresses and the commands that change it."""

    def __init__(self, env_file):
        self.env_file = env_file
        self.values = read_stack_env(env_file)
        require_loopback(self.values["APP_URL"])
        require_no_rate_limit(self.values)
        self.run_dir = self.values.get("RUN_DIR") or os.path.dirname(env_file)
        self.pids = os.path.join(self.run_dir, "pids")
        build = self.values.get("STACK_BUILD") or "release"
        self.broker_binary = os.path.join(ROOT, ".build", build, "button-broker")
        self.control = self.values.get("BROKER_CONTROL", "")
        self.disk = None  # the disk-full row's DiskVolume while it runs
        # scripts/stack restarts a part on the stack's ports and build (it reads stack.env);
        # the run dir and nginx's profile come from here.
        self.env = dict(os.environ, BUTTON_RUN_DIR=self.run_dir, BUTTON_STACK_ENV=env_file, BUTTON_SKIP_BUILD="1",
                        BUTTON_RATE_LIMIT=self.values.get("RATE_LIMIT") or "off")

    def reload(self):
        self.values = read_stack_env(self.env_file)
        self.control = self.values.get("BROKER_CONTROL", "")

    def stack(self, *arguments, timeout=180):
        done = subprocess.run([STACK, *arguments], env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise FaultError(f"scripts/stack {' '.join(arguments)} failed: "
                             f"{(done.stderr.strip() or done.stdout.strip())[-400:]}")
        return done.stdout

    def ctl(self, *words):
        done = subprocess.run([self.broker_binary, "ctl", "--control", self.control, *words],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise FaultError(f"button-broker ctl {' '.join(words)}: {(done.stdout + done.stderr).strip()}")
        return done.stdout.strip()

    def pid(self, part):
        try:
            with open(os.path.join(self.pids, f"{part}.pid"), encoding="utf-8") as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        """{part: running?} from scripts/stack status."""
        found = {}
        for line in self.stack("status", timeout=60).splitlines():
            name, _, state = line.partition(": ")
            if name in PARTS:
                found[name] = state.startswith("running")
        return {part: found.get(part, False) for part in PARTS}

    def serving_workers(self):
        """The press pool's serving worker processes (a draining one renames itself)."""
        master = self.pid("workers")
        if master is None:
            return []
        done = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
        workers = []
        for text in done.stdout.split():
            try:
                with open(f"/proc/{text}/comm", encoding="utf-8") as handle:
                    if handle.read().strip() != "button-draining":
                        workers.append(int(text))
            except OSError:
                continue
        return sorted(workers)

    def healthy(self):
        try:
            with urllib.request.urlopen(self.values["APP_URL"].rstrip("/") + "/api/health", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def make_whole(self):
        """Puts the stack back as a row found it: the broker up with no added round trip,
        every part running, presses answered. Returns what it had to do."""
        actions = []
        state = self.running()
        if not state["broker"]:
            # A broker restart empties it and moves it: not something a row does behind the
            # caller's back silently.
            actions.append("broker restarted (it had stopped)")
            self.stack("restart", "broker", timeout=300)
            self.reload()
            state = self.running()
        self.ctl("up", "all")
        self.ctl("rtt", "all", "0")
        for part in PARTS:
            if not state[part]:
                actions.append(f"{part} restarted")
                self.stack("restart", part, timeout=300)
        deadline = time.time() + 60
        while not self.healthy():
            if time.time() > deadline:
                raise FaultError("presses are not answered through nginx a minute after the row")
            time.sleep(0.5)
        return actions


class Row:
    """One fault: `inject` starts it, `restore` ends it after `window` seconds (quick, full);
    a window of None is an instant fault (a kill, a reload) that the stack ends by itself."""

    def __init__(self, name, label, inject, restore=None, window=None, budget=5, runner=None):
        self.name = name
        self.label = label
        self.inject = inject
        self.restore = restore
        self.window = window
        self.budget = budget  # seconds the restore may take, added to the load's duration
        self.runner = runner  # a row with phases of its own (run_row otherwise)

    def seconds(self, quick):
        return None if self.window is None else self.window[0 if quick else 1]

    def title(self, quick):
        seconds = self.seconds(quick)
        return self.label.format(d=f"{seconds:g} s" if seconds is not None else "")


class Context:
    """What a row's actions may use besides the stack: its notes, the prober, its folder."""

    def __init__(self, notes, prober, directory, probe_offsets):
        self.notes = notes
        self.prober = prober
        self.directory = directory
        self.probe_offsets = probe_offsets
        self.background = None  # a command a row's inject leaves running for its restore
        self.problems = []  # what a row's restore found wrong (its figures are still made)


def _kill_worker(stack, context):
    notes = context.notes
    workers = stack.serving_workers()
    if not workers:
        raise FaultError("no serving press worker to kill")
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    deadline = killed_at + 60
    while time.time() < deadline:
        now = stack.serving_workers()
        if victim not in now and len(now) >= len(workers):
            notes.append(f"worker replaced after {time.time() - killed_at:.1f} s")
            return
        time.sleep(0.05)
    notes.append("worker NOT replaced within 60 s")


def _kill_part(part):
    def inject(stack, context):
        pid = stack.pid(part)
        if pid is None:
            raise FaultError(f"no pid for {part}")
        os.kill(pid, signal.SIGKILL)
    return inject


def _reload_nginx(stack, context):
    pid = stack.pid("nginx")
    if pid is None:
        raise FaultError("no pid for nginx")
    os.kill(pid, signal.SIGHUP)


def _registry_down_at_start(stack, context):
    """The registry stops, then the press workers restart (as a deploy would) while it is
    away: `scripts/stack restart workers` runs in the background, since it waits for them to
    answer through nginx, which they may only do once they reach the registry."""
    stack.stack("stop", "registry")
    context.background = subprocess.Popen([STACK, "restart", "workers"], env=stack.env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)


def _registry_back(stack, context):
    stack.stack("restart", "registry")
    started = time.time()
    try:
        output, _ = context.background.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        context.background.kill()
        output, _ = context.background.communicate()
    if context.background.returncode != 0:
        raise FaultError(f"the workers did not restart: {output.strip()[-400:]}")
    context.notes.append(f"the workers' restart ended {time.time() - started:.1f} s after the registry's")


ROWS = [
    Row("broker-down", "broker down {d}", lambda s, c: s.ctl("down", "all"), lambda s, c: s.ctl("up", "all"),
        window=(8, 30), budget=2),
    Row("postgres-down", "PostgreSQL down {d}", lambda s, c: s.stack("stop", "postgres"),
        lambda s, c: s.stack("restart", "postgres"), window=(10, 60), budget=10),
    Row("worker-kill", "SIGKILL of a press worker", _kill_worker),
    Row("broker-rtt", "broker round trip +200 ms for {d}", lambda s, c: s.ctl("rtt", "all", "200"),
        lambda s, c: s.ctl("rtt", "all", "0"), window=(8, 30), budget=2),
    Row("clickhouse-down", "ClickHouse down {d}", lambda s, c: s.stack("stop", "clickhouse"),
        lambda s, c: s.stack("restart", "clickhouse"), window=(10, 60), budget=30),
    Row("sink-kill", "SIGKILL of the sink, restarted after {d}", _kill_part("sink"),
        lambda s, c: s.stack("restart", "sink"), window=(5, 5), budget=15),
    Row("enricher-kill", "SIGKILL of the enricher, restarted after {d}", _kill_part("enricher"),
        lambda s, c: s.stack("restart", "enricher"), window=(5, 5), budget=15),
    Row("registry-down", "registry down {d} while running", lambda s, c: s.stack("stop", "registry"),
        lambda s, c: s.stack("restart", "registry"), window=(10, 60), budget=10),
    Row("nginx-reload", "nginx reloaded (HUP)", _reload_nginx),
    Row("registry-down-at-start", "registry down {d} while the press workers restart", _registry_down_at_start,
        _registry_back, window=(10, 30), budget=25),
    Row("disk-full", "PostgreSQL's disk full for {d}", lambda s, c: _fill_disk(s, c),
        lambda s, c: _free_disk(s, c), window=(10, 30), budget=15,
        runner=lambda row, stack, args, directory: run_disk_full_row(row, stack, args, directory)),
    Row("broker-restarted-empty", "broker stopped {d}, then restarted with an empty log", None, window=(5, 15),
        runner=lambda row, stack, args, directory: run_broker_restart_row(row, stack, args, directory)),
]
def _prober_session(context, limit=20):
    """The prober's session once it has been acknowledged a few presses."""
    deadline = time.time() + limit
    while time.time() < deadline:
        counts = context.prober.acknowledged()
        if counts and max(counts.values()) >= 3:
            return max(counts, key=counts.get)
        time.sleep(0.2)
    raise FaultError("the prober was not acknowledged within 20 s")


def _plant_loss(stack, context):
    """Deletes one of the prober's rows from PostgreSQL (after the sink wrote it): the
    reconciliation must call it lost."""
    session = _prober_session(context)
    env = dict(os.environ, **postgres_environment(stack.values["PG_DSN"]))
    query = ("DELETE FROM button_presses WHERE ctid = (SELECT ctid FROM button_presses "
             f"WHERE session_id = '{session}' LIMIT 1)")
    deadline = time.time() + 20
    while time.time() < deadline:
        done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query + " RETURNING 1"],
                              env=env, capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip() == "1":
            context.notes.append(f"planted: one PostgreSQL row of session {session} deleted")
            return
        time.sleep(0.5)
    raise FaultError("no PostgreSQL row of the prober's session to delete")


def _plant_duplicate(stack, context):
    """Produces one of the prober's messages to the topic again (a copy at a new offset, as a
    producer retry without idempotence would): every store must count a duplicate."""
    session = _prober_session(context)
    bootstrap = stack.values["KAFKA_BOOTSTRAP"]
    for partition, start in context.probe_offsets.items():
        listing = subprocess.run(["kcat", *stores.KCAT_OPTIONS, "-C", "-b", bootstrap, "-t", stores.TOPIC,
                                  "-p", partition, "-o", "beginning" if start is None else str(start), "-e", "-q",
                                  "-f", "%k %o\n"], capture_output=True, text=True, timeout=60)
        for line in listing.stdout.splitlines():
            key, _, offset = line.partition(" ")
            if key != session:
                continue
            message = subprocess.run(["kcat", *stores.KCAT_OPTIONS, "-C", "-b", bootstrap, "-t", stores.TOPIC,
                                      "-p", partition, "-o", offset, "-c", "1", "-e", "-q", "-f", "%s"],
                                     capture_output=True, timeout=60).stdout
            path = os.path.join(context.directory, "planted-message.bin")
            with open(path, "wb") as handle:
                handle.write(message)
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", stores.TOPIC, "-p", partition, "-k", session, path],
                           check=True, capture_output=True, timeout=60)
            context.notes.append(f"planted: the message at {partition}/{offset} of session {session} produced again")
            return
    raise FaultError("no message of the prober's session in Kafka to copy")


# Controls, not faults: each plants what the matrix must catch, so its row must FAIL. Never
# part of the default set; `scripts/faults --quick planted-loss` exiting 1 shows the checks bite.
PLANTED = [
    Row("planted-loss", "control: one acknowledged row deleted from PostgreSQL (must FAIL)", _plant_loss),
    Row("planted-duplicate", "control: one acknowledged message produced again (must FAIL)", _plant_duplicate),
]
BY_NAME = {row.name: row for row in ROWS + PLANTED}


def _put_stack_back(stack, result):
    """Puts the stack back as the row found it; a row that had to is a problem of the row."""
    try:
        result["stack_actions"] = stack.make_whole()
    except FaultError as error:
        result["problems"].append(f"the stack was not put back: {error}")
        result["stack_actions"] = ["FAILED"]
    if result["stack_actions"]:
        result["problems"].append("the row left the stack changed: " + ", ".join(result["stack_actions"]))


def _load_command(out, duration, args):
    return [LOADTEST, "--wrk", "--sessions", str(args.sessions), "--connections", str(args.connections),
            "--threads", "1", "--duration", f"{duration:g}s", "--settle", str(args.settle), "--timeout", "240",
            "--out", out]


def _wait_for_wrk(load, out, limit=120):
    """Until loadtest/run has entered its sessions and wrk presses (its sessions file exists
    while wrk runs)."""
    marker = os.path.join(out, "wrk-sessions.txt")
    deadline = time.time() + limit
    while time.time() < deadline:
        if os.path.exists(marker):
            return
        if load.poll() is not None:
            raise FaultError(f"the load ended before pressing (exit {load.returncode}); see {out}/../load.log")
        time.sleep(0.05)
    raise FaultError("the load did not start pressing within 2 minutes")


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _reconcile_file(expectations_file, result_file, stack, settle, only=None):
    """loadtest/reconcile again (the run's own reconciliation could not read a store that was
    still down when its load ended; `only`: the stores to read, e.g. ("postgres", "clickhouse")
    once the Kafka log is gone)."""
    command = [RECONCILE, expectations_file, "--out", result_file, "--settle", str(settle), "--timeout", "240"]
    if only:
        command += ["--stores", ",".join(only)]
    done = subprocess.run(command, env=stack.env, capture_output=True, text=True, timeout=400)
    return done.stdout + done.stderr


def _statuses(expectations):
    counts = {}
    for status, count in (expectations or {}).get("statuses", {}).items():
        counts[int(status)] = counts.get(int(status), 0) + count
    return counts


def run_row(row, stack, args, directory):
    """Runs one row; returns its result (a dict, as faults.json holds it)."""
    os.makedirs(directory, exist_ok=True)
    quick = args.quick
    window = row.seconds(quick)
    pre = 3 if quick else 5
    post = 8 if quick else 15
    duration = pre + (window or 0) + row.budget + post
    result = {"row": row.name, "fault": row.title(quick), "window_s": window, "notes": [], "problems": []}
    notes = result["notes"]
    load_out = os.path.join(directory, "load")
    load_log = open(os.path.join(directory, "load.log"), "w", encoding="utf-8")
    env = dict(stack.env, LOADTEST_PRESS_DELAY_MS=str(args.press_delay_ms), PYTHONDONTWRITEBYTECODE="1")
    probe_offsets = stores.kafka_end_offsets(stack.values["KAFKA_BOOTSTRAP"])
    probe_started = time.time()
    prober = probing.Prober(stack.values["APP_URL"])
    load = subprocess.Popen(_load_command(load_out, duration, args), env=env, stdout=load_log,
                            stderr=subprocess.STDOUT)
    prober.start()
    context = Context(notes, prober, directory, probe_offsets)
    injected = restored = False
    fault_start = fault_end = None
    catch_up = None
    try:
        _wait_for_wrk(load, load_out)
        time.sleep(pre)
        fault_start = time.time()
        injected = True
        row.inject(stack, context)
        if window is not None:
            time.sleep(max(0.0, window - (time.time() - fault_start)))
            fault_end = time.time()
            row.restore(stack, context)
            notes.append(f"restore took {time.time() - fault_end:.1f} s")
        else:
            # An instant fault ends as it happens (the kill, the signal); what follows (a
            # worker replaced, nginx's new workers) is the recovery being timed.
            fault_end = fault_start
        restored = True
        catch_up = probing.CatchUp(prober, stack.values, fault_end, probe_started - 600)
        catch_up.start()
        # The prober stops when wrk does (once it has a 2xx after the fault): ClickHouse
        # 18.16's Kafka engine ends a stream only after 1000 rows or an idle poll, so the
        # prober's steady trickle alone would hold back what the reconciliation waits for.
        marker = os.path.join(load_out, "wrk-sessions.txt")
        deadline = time.time() + duration + 120
        while (os.path.exists(marker) or probing.recovery(prober.snapshot(), fault_end)[0] is None) \
                and load.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        prober.stop()
        try:
            load.wait(timeout=duration + 600)
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()
            result["problems"].append("the load did not finish")
    except BaseException:
        prober.stop()
        if catch_up is not None:
            catch_up.stop()
        raise
    finally:
        if injected and not restored and row.restore is not None:
            try:
                row.restore(stack, context)
            except FaultError as error:
                result["problems"].append(f"restore failed: {error}")
        if load.poll() is None:
            load.terminate()
            load.wait()
        load_log.close()
    prober.stop()
    if catch_up is not None:
        catch_up.join(120)
        catch_up.stop()
    _put_stack_back(stack, result)

    # The load's reconciliation, or a new one when the run's own could not read a store.
    expectations_file = os.path.join(load_out, "expectations.json")
    reconciliation_file = os.path.join(load_out, "reconciliation.json")
    expectations = _read_json(expectations_file)
    if expectations is None:
        result["problems"].append(f"the load recorded no expectations (see {directory}/load.log)")
    elif _read_json(reconciliation_file) is None:
        notes.append("reconciled again after the row (the run's own reconciliation could not read a store)")
        with open(os.path.join(directory, "reconcile-again.log"), "w", encoding="utf-8") as handle:
            handle.write(_reconcile_file(expectations_file, reconciliation_file, stack, args.settle))
    load_result = _read_json(reconciliation_file)

    # The prober's own presses, reconciled the same way.
    probe_expectations = prober.expectations(probe_offsets, probe_started)
    probe_file = os.path.join(directory, "prober-expectations.json")
    with open(probe_file, "w", encoding="utf-8") as handle:
        json.dump(probe_expectations, handle, indent=1, sort_keys=True)
    with open(os.path.join(directory, "prober.tsv"), "w", encoding="utf-8") as handle:
        handle.write("sent_s\tanswered_s\tstatus\n")
        for probe in prober.snapshot():
            handle.write(f"{probe.sent - probe_started:.3f}\t{probe.answered - probe_started:.3f}\t{probe.status}\n")
    probe_result = None
    if probe_expectations["sessions"]:
        probe_result_file = os.path.join(directory, "prober-reconciliation.json")
        with open(os.path.join(directory, "prober-reconcile.log"), "w", encoding="utf-8") as handle:
            handle.write(_reconcile_file(probe_file, probe_result_file, stack, args.settle))
        probe_result = _read_json(probe_result_file)
    else:
        result["problems"].append("the prober was never acknowledged")

    # The figures. wrk counts the presses it sent and never saw answered only in its summary:
    # they count as requests without an answer (status 0), in doubt like curl's.
    statuses = _statuses(expectations)
    _add(statuses, _statuses(probe_expectations))
    _add(statuses, _wrk_unanswered(os.path.join(directory, "load.log"), notes))
    parts = [("load", load_result, True), ("prober", probe_result, bool(probe_expectations["sessions"]))]
    _conclude(result, statuses, parts, prober.snapshot(), probe_started, fault_start, fault_end, catch_up)
    result["problems"].extend(context.problems)
    result["ok"] = not result["problems"]
    with open(os.path.join(directory, "row.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    return result


# What the sink logs when it finds its stored Kafka positions stale after the log was reset:
# positions of another cluster (read at its start), or a log that ends before them.
SINK_RESET_LINES = ("belongs to Kafka cluster", "it was reset")


def _log_offset(stack, part):
    try:
        return os.path.getsize(os.path.join(stack.run_dir, "logs", f"{part}.log"))
    except OSError:
        return 0


def _log_since(stack, part, offset):
    try:
        with open(os.path.join(stack.run_dir, "logs", f"{part}.log"), "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace").splitlines()
    except OSError:
        return []


def _write_probes(path, probes, started):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("sent_s\tanswered_s\tstatus\n")
        for probe in probes:
            handle.write(f"{probe.sent - started:.3f}\t{probe.answered - started:.3f}\t{probe.status}\n")


def _reconcile_prober(prober, offsets, started, directory, name, stack, settle):
    """Writes the prober's expectations (and timeline) as `name`, reconciles them on every
    store, returns (expectations, reconciliation or None)."""
    expectations = prober.expectations(offsets, started)
    path = os.path.join(directory, f"{name}-expectations.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(expectations, handle, indent=1, sort_keys=True)
    _write_probes(os.path.join(directory, f"{name}.tsv"), prober.snapshot(), started)
    if not expectations["sessions"]:
        return expectations, None
    result_file = os.path.join(directory, f"{name}-reconciliation.json")
    with open(os.path.join(directory, f"{name}-reconcile.log"), "w", encoding="utf-8") as handle:
        handle.write(_reconcile_file(path, result_file, stack, settle))
    return expectations, _read_json(result_file)


def _run_load(stack, args, out, log_path, duration, prober, may_stop_prober=lambda: True):
    """loadtest/run for `duration` to its end (it drains the pipeline and reconciles itself);
    the prober stops with wrk once `may_stop_prober()` (see run_row: a trickle alone would
    hold ClickHouse's Kafka engine back). Returns loadtest/run's expectations and reconciliation."""
    env = dict(stack.env, LOADTEST_PRESS_DELAY_MS=str(args.press_delay_ms), PYTHONDONTWRITEBYTECODE="1")
    with open(log_path, "w", encoding="utf-8") as log:
        load = subprocess.Popen(_load_command(out, duration, args), env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_wrk(load, out)
            marker = os.path.join(out, "wrk-sessions.txt")
            deadline = time.time() + duration + 120
            while (os.path.exists(marker) or not may_stop_prober()) and load.poll() is None \
                    and time.time() < deadline:
                time.sleep(0.1)
            prober.stop()
            load.wait(timeout=duration + 600)
        finally:
            prober.stop()
            if load.poll() is None:
                load.terminate()
                load.wait()
    return (_read_json(os.path.join(out, "expectations.json")),
            _read_json(os.path.join(out, "reconciliation.json")))


def run_broker_restart_row(row, stack, args, directory):
    """The local broker stopped, then restarted with an empty log (`scripts/stack restart
    broker`: new ports, and the workers, sink, enricher and stats restarted onto them), as a
    broker whose disk was lost would come back.

    Phase 1, before: a load and the prober, drained into every store and reconciled there
    (what the broker held and nobody had consumed yet would die with the in-memory mock; a
    real broker keeps its log, so that is not a loss this row judges). The fault: the broker
    stops; a second prober presses through the outage (503s: nothing recorded) and times the
    recovery from the restart. Phase 2, after: a fresh load on the new, empty log, reconciled
    in every store (the sink must not skip the new log's offsets as already stored, ClickHouse
    must not collapse new events with old ones). Then phase 1 again, on PostgreSQL and
    ClickHouse only (its Kafka log is gone): the reset must have neither lost nor duplicated
    what was stored before it. The sink must say that it noticed the reset."""
    os.makedirs(directory, exist_ok=True)
    quick = args.quick
    window = row.seconds(quick)
    pre = 3 if quick else 5
    post = 8 if quick else 15
    result = {"row": row.name, "fault": row.title(quick), "window_s": window, "notes": [], "problems": []}
    notes = result["notes"]
    # Phase 1.
    before_offsets = stores.kafka_end_offsets(stack.values["KAFKA_BOOTSTRAP"])
    before_started = time.time()
    before = probing.Prober(stack.values["APP_URL"])
    before.start()
    load1_out = os.path.join(directory, "load-before")
    load1_expectations, load1_result = _run_load(stack, args, load1_out, os.path.join(directory, "load-before.log"),
                                                 pre + post, before)
    prober1_expectations, prober1_result = _reconcile_prober(before, before_offsets, before_started, directory,
                                                             "prober-before", stack, args.settle)
    sink_log = _log_offset(stack, "sink")
    enricher_log = _log_offset(stack, "enricher")
    # The fault.
    fault_start = time.time()
    after_started = fault_start
    after = probing.Prober(stack.values["APP_URL"])
    catch_up = None
    stack.stack("stop", "broker")
    after.start()
    try:
        time.sleep(max(0.0, window - (time.time() - fault_start)))
        fault_end = time.time()
        stack.stack("restart", "broker", timeout=300)
        stack.reload()
        notes.append(f"restart took {time.time() - fault_end:.1f} s (broker, workers, sink, enricher, stats)")
        catch_up = probing.CatchUp(after, stack.values, fault_end, before_started - 600)
        catch_up.start()
        # Phase 2, on the new broker (loadtest/run reads the new address from stack.env).
        load2_out = os.path.join(directory, "load-after")
        load2_expectations, load2_result = _run_load(
            stack, args, load2_out, os.path.join(directory, "load-after.log"), post, after,
            lambda: probing.recovery(after.snapshot(), fault_end)[0] is not None)
    except BaseException:
        after.stop()
        if catch_up is not None:
            catch_up.stop()
        raise
    catch_up.join(120)
    catch_up.stop()
    after_offsets = {str(partition): None for partition in stores.kafka_partitions(stack.values["KAFKA_BOOTSTRAP"])}
    prober2_expectations, prober2_result = _reconcile_prober(after, after_offsets, after_started, directory,
                                                             "prober", stack, args.settle)
    # Phase 1 again, after the reset.
    again = []
    for name, expectations_file in (("load-before", os.path.join(load1_out, "expectations.json")),
                                    ("prober-before", os.path.join(directory, "prober-before-expectations.json"))):
        result_file = os.path.join(directory, f"{name}-after-reset-reconciliation.json")
        if os.path.exists(expectations_file):
            with open(os.path.join(directory, f"{name}-after-reset.log"), "w", encoding="utf-8") as handle:
                handle.write(_reconcile_file(expectations_file, result_file, stack, args.settle,
                                             only=("postgres", "clickhouse")))
        again.append((f"{name} after the reset", _read_json(result_file), True))
    # The reset as the consumers saw it.
    sink_lines = [line for line in _log_since(stack, "sink", sink_log) if any(m in line for m in SINK_RESET_LINES)]
    enricher_lines = [line for line in _log_since(stack, "enricher", enricher_log) if "it was reset" in line]
    notes.append(f"sink: {len(sink_lines)} partitions found reset; enricher: {len(enricher_lines)} "
                 "(a restarted enricher starts at the new log's earliest offset)")
    if not sink_lines:
        result["problems"].append("the sink did not log that it found its stored positions stale")
    _put_stack_back(stack, result)
    statuses = {}
    for expectations in (load1_expectations, prober1_expectations, load2_expectations, prober2_expectations):
        _add(statuses, _statuses(expectations))
    _add(statuses, _wrk_unanswered(os.path.join(directory, "load-before.log"), notes))
    _add(statuses, _wrk_unanswered(os.path.join(directory, "load-after.log"), notes))
    if load1_expectations is None or load2_expectations is None:
        result["problems"].append("a load recorded no expectations (see load-before.log, load-after.log)")
    parts = [("load before", load1_result, True),
             ("prober before", prober1_result, bool(prober1_expectations["sessions"])),
             ("load after", load2_result, True),
             ("prober", prober2_result, bool(prober2_expectations["sessions"])), *again]
    _conclude(result, statuses, parts, after.snapshot(), after_started, fault_start, fault_end, catch_up)
    result["ok"] = not result["problems"]
    with open(os.path.join(directory, "row.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    return result


class DiskVolume:
    """A small tmpfs holding PostgreSQL's data for the disk-full row: PostgreSQL stops, its
    folder is copied onto the tmpfs, which is bind-mounted over the folder, and PostgreSQL
    starts on it. `fill` leaves `free` bytes (a ballast file), `drain` removes the ballast.
    `close` (always run: scripts/faults's handlers turn SIGTERM and SIGINT into exceptions)
    stops PostgreSQL, copies the data back, unmounts both mounts and starts PostgreSQL again."""

    def __init__(self, stack, free=0):
        self.stack = stack
        self.free = free
        self.data = os.path.realpath(os.path.join(stack.run_dir, "pg"))
        self.mount = None
        self.bound = False
        self.ballast = None
        self.touched = False  # PostgreSQL was stopped for the move: close must put it back

    @staticmethod
    def _run(*command):
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise FaultError(f"{' '.join(command)}: {(done.stderr or done.stdout).strip()[-300:]}")

    def open(self):
        if os.geteuid() != 0:
            raise FaultError("the disk-full row mounts a tmpfs under PostgreSQL's data and needs root; run "
                             "scripts/faults disk-full as root (it is not skipped: it failed)")
        used = int(subprocess.run(["du", "-sb", self.data], capture_output=True, text=True,
                                  check=True).stdout.split()[0])
        size = used + 192 * 1024 * 1024
        self.touched = True
        self.stack.stack("stop", "postgres")
        parent = "/var/lib/button-stack"
        os.makedirs(parent, exist_ok=True)
        self.mount = os.path.join(parent, f"faults-disk-{os.getpid()}")
        os.makedirs(self.mount, exist_ok=True)
        self._run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", self.mount)
        self._run("cp", "-a", self.data + "/.", self.mount + "/")
        self._run("mount", "--bind", self.mount, self.data)
        self.bound = True
        self.stack.stack("restart", "postgres")

    def fill(self):
        """Fills the tmpfs but for `free` bytes: fallocate for the bulk (asking for every last
        byte fails on tmpfs), then 4 KiB writes until ENOSPC."""
        stat = os.statvfs(self.mount)
        available = stat.f_bavail * stat.f_frsize
        self.ballast = os.path.join(self.mount, "faults-ballast")
        self._run("fallocate", "-l", str(max(0, available - self.free - 256 * 1024)), self.ballast)
        with open(self.ballast, "ab") as handle:
            try:
                while True:
                    stat = os.statvfs(self.mount)
                    if stat.f_bavail * stat.f_frsize <= self.free:
                        break
                    handle.write(b"\0" * 4096)
                    handle.flush()
            except OSError:
                pass  # ENOSPC: full
        stat = os.statvfs(self.mount)
        return stat.f_bavail * stat.f_frsize

    def drain(self):
        if self.ballast and os.path.exists(self.ballast):
            os.remove(self.ballast)

    def close(self):
        """Puts PostgreSQL's data back where it was; raises FaultError when a step failed
        (every later step is still tried)."""
        if not self.touched:
            return  # refused before it changed anything (not root)
        failures = []

        def attempt(what, action):
            try:
                action()
            except (FaultError, OSError, subprocess.SubprocessError) as error:
                failures.append(f"{what}: {error}")

        attempt("remove the ballast", self.drain)
        attempt("stop PostgreSQL", lambda: self.stack.stack("stop", "postgres"))
        copied = False
        if self.bound:
            fresh = self.data + ".faults-new"
            old = self.data + ".faults-old"

            def copy_back():
                nonlocal copied
                shutil.rmtree(fresh, ignore_errors=True)
                os.makedirs(fresh)
                shutil.copystat(self.mount, fresh)
                self._run("cp", "-a", self.mount + "/.", fresh + "/")
                stat = os.stat(self.mount)
                os.chown(fresh, stat.st_uid, stat.st_gid)
                copied = True
            attempt("copy the data off the tmpfs", copy_back)
            attempt("unmount the bind mount", lambda: self._run("umount", self.data))
            if copied and not failures:
                os.rename(self.data, old)
                os.rename(fresh, self.data)
                shutil.rmtree(old, ignore_errors=True)
            self.bound = False
        if self.mount:
            attempt("unmount the tmpfs", lambda: self._run("umount", self.mount))
            attempt("remove the mount point", lambda: os.rmdir(self.mount))
            self.mount = None
        attempt("start PostgreSQL", lambda: self.stack.stack("restart", "postgres"))
        if failures:
            raise FaultError("the disk-full volume was not cleaned up: " + "; ".join(failures))


def _postgres_answers(stack, limit=10.0):
    env = dict(os.environ, **postgres_environment(stack.values["PG_DSN"]))
    deadline = time.time() + limit
    while time.time() < deadline:
        done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-c", "SELECT 1"], env=env, capture_output=True,
                              text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip() == "1":
            return True
        time.sleep(0.5)
    return False


def _fill_disk(stack, context):
    context.postgres_log = _log_offset(stack, "postgres")
    left = stack.disk.fill()
    context.notes.append(f"ballast left {left // 1024} KiB free")


def _free_disk(stack, context):
    stack.disk.drain()
    lines = _log_since(stack, "postgres", getattr(context, "postgres_log", 0))
    full = sum("No space left on device" in line for line in lines)
    panics = sum("PANIC" in line for line in lines)
    context.notes.append(f"PostgreSQL logged ENOSPC {full} times, PANIC {panics} times")
    if not full:
        context.problems.append("the disk never filled: PostgreSQL logged no 'No space left on device'")
    if not _postgres_answers(stack):
        context.notes.append("PostgreSQL restarted (it did not answer after the ballast went)")
        stack.stack("restart", "postgres")


def run_disk_full_row(row, stack, args, directory):
    """PostgreSQL's disk full: its data on a small tmpfs (DiskVolume), filled by a ballast
    during the window. Presses keep being acknowledged into Kafka; the sink must store each
    once when the space is back."""
    stack.disk = DiskVolume(stack)
    try:
        stack.disk.open()
        return run_row(row, stack, args, directory)
    finally:
        volume, stack.disk = stack.disk, None
        volume.close()


def _add(counts, more):
    for status, count in more.items():
        counts[status] = counts.get(status, 0) + count


def _wrk_unanswered(log_file, notes):
    """{0: presses wrk sent and never saw answered} from loadtest/run's summary."""
    log = _load_log(log_file)
    if log["socket_errors"]:
        notes.append(f"wrk socket errors {log['socket_errors']}")
    return {0: log["unanswered"]} if log["unanswered"] else {}


def _conclude(result, statuses, parts, probes, probe_started, fault_start, fault_end, catch_up):
    """Fills a row's figures and problems from its answers' statuses, its reconciliations
    (`parts`: (name, result or None, required)) and the prober's timeline."""
    notes = result["notes"]
    result["requests"] = sum(statuses.values())
    result["ok_2xx"] = sum(count for status, count in statuses.items() if 200 <= status < 300)
    result["s503"] = statuses.get(503, 0)
    result["other"] = result["requests"] - result["ok_2xx"] - result["s503"]
    result["statuses"] = {str(status): count for status, count in sorted(statuses.items())}
    in_doubt = sum(statuses.get(status, 0) for status in IN_DOUBT_STATUSES)
    result["in_doubt_answers"] = in_doubt
    lost = {name: 0 for name, _ in stores_names()}
    duplicated = dict(lost)
    extra = dict(lost)
    for name, reconciliation, required in parts:
        if reconciliation is None:
            if required:
                result["problems"].append(f"the {name}'s reconciliation did not run")
            continue
        if reconciliation.get("timed_out"):
            result["problems"].append(f"the {name}'s stores were still changing at the reconciliation's timeout")
        if reconciliation.get("unattributed_2xx"):
            result["problems"].append(f"{reconciliation['unattributed_2xx']} {name} 2xx answers carried no cookie")
        for store, _label in stores_names():
            if store not in reconciliation.get("stores_checked", [s for s, _ in stores_names()]):
                continue  # not read on purpose (the Kafka log of a broker restarted empty)
            figures = reconciliation["stores"].get(store, {})
            lost[store] += figures.get("lost", 0)
            duplicated[store] += figures.get("duplicated", 0)
            extra[store] += figures.get("extra", 0)
            if figures.get("state") is None or figures.get("state") == "still changing":
                result["problems"].append(f"{name}: {store} still changing")
        copies = reconciliation["stores"].get("clickhouse", {}).get("uncollapsed_copies", 0)
        if copies:
            notes.append(f"ClickHouse holds {copies} uncollapsed copies ({name}; FINAL collapses them)")
    result["lost"] = max(lost.values())
    result["lost_by_store"] = lost
    result["duplicated"] = duplicated
    result["extra"] = max(extra.values())
    if result["lost"]:
        result["problems"].append(f"acknowledged presses lost: {lost}")
    if any(duplicated.values()):
        result["problems"].append(f"duplicates: {duplicated}")
    if result["extra"] > in_doubt:
        result["problems"].append(f"{result['extra']} events recorded but never acknowledged, more than the "
                                  f"{in_doubt} answers that leave a press in doubt")

    # Recovery.
    if fault_end is not None:
        back, _failed, _ = probing.recovery(probes, fault_end)
        failures = [p for p in probes if fault_start <= p.sent and not p.ok()]
        result["probe_failures"] = len(failures)
        result["press_recovery_s"] = None if back is None else round(back, 2)
        if failures:
            last = max(p.sent for p in failures)
            result["press_outage_s"] = round(last - min(p.sent for p in failures), 2)
        if back is None:
            result["problems"].append("no prober press was acknowledged after the fault ended")
    if fault_start is not None:
        # On prober.tsv's clock (seconds since the prober started).
        result["fault_start_s"] = round(fault_start - probe_started, 3)
        result["fault_end_s"] = round(fault_end - probe_started, 3) if fault_end is not None else None
    if catch_up is not None:
        result["caught_up_s"] = {name: (None if value is None else round(value, 2))
                                 for name, value in catch_up.caught_up.items()}
        for name, value in catch_up.caught_up.items():
            if value is None:
                result["problems"].append(f"{name} did not catch up with the prober within "
                                          f"{catch_up.timeout:.0f} s ({catch_up.errors.get(name, 'no error')})")


def stores_names():
    return (("kafka", "Kafka"), ("postgres", "PostgreSQL"), ("clickhouse", "ClickHouse"))


def _load_log(log_file):
    """What loadtest/run's summary says about wrk: presses never answered, socket errors."""
    found = {"unanswered": 0, "socket_errors": ""}
    try:
        with open(log_file, encoding="utf-8") as handle:
            for line in handle:
                if "presses sent and not answered when wrk stopped:" in line:
                    found["unanswered"] = int(line.rsplit(":", 1)[1])
                elif "wrk socket errors:" in line:
                    found["socket_errors"] = line.split(":", 1)[1].strip()
    except (OSError, ValueError):
        pass
    return found


def _seconds(value):
    return "—" if value is None else f"{value:.1f} s"


def table(results):
    """The matrix as a Markdown table."""
    head = ("| fault | requests | 2xx | 503 | other | acknowledged lost | duplicates K/PG/CH | extra (in doubt) "
            "| first 2xx after | PG / CH caught up after | verdict |")
    lines = [head, "|" + "---|" * 11]
    for result in results:
        dup = result.get("duplicated", {})
        caught = result.get("caught_up_s", {})
        lines.append(
            f"| {result['fault']} | {result.get('requests', '?')} | {result.get('ok_2xx', '?')} "
            f"| {result.get('s503', '?')} | {result.get('other', '?')} | {result.get('lost', '?')} "
            f"| {dup.get('kafka', '?')}/{dup.get('postgres', '?')}/{dup.get('clickhouse', '?')} "
            f"| {result.get('extra', '?')} ({result.get('in_doubt_answers', '?')}) "
            f"| {_seconds(result.get('press_recovery_s'))} "
            f"| {_seconds(caught.get('postgres'))} / {_seconds(caught.get('clickhouse'))} "
            f"| {'ok' if result.get('ok') else 'FAIL'} |")
    return lines


MARK_BEGIN = "<!-- scripts/faults: begin -->"
MARK_END = "<!-- scripts/faults: end -->"


def record(path, lines, stack, args):
    """Puts the table into `path` between the markers (appended when they are missing), with
    the command, the build and the machine's load, so the figures say how they were made."""
    load = os.getloadavg()
    # The controls (rows that must FAIL) go between markers of their own, so that recording
    # them keeps the matrix's table, and the other way round.
    controls = bool(args.rows) and all(name in {row.name for row in PLANTED} for name in args.rows)
    begin, end = (MARK_BEGIN, MARK_END) if not controls else (MARK_BEGIN.replace("faults:", "faults controls:"),
                                                              MARK_END.replace("faults:", "faults controls:"))
    block = [begin,
             f"Produced by `scripts/faults{' --quick' if args.quick else ''}"
             f"{(' ' + ' '.join(args.rows)) if args.rows else ''}` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{stack.values.get('STACK_BUILD', '?')} build, {os.cpu_count()} cores, load average "
             f"{load[0]:.1f} at the end.", "", *lines, end]
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = "# Reliability: the fault matrix\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + "\n".join(block) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def parser():
    p = argparse.ArgumentParser(
        prog="scripts/faults",
        description="The fault matrix: per row a paced press load through nginx, one fault injected and ended "
                    "mid-run, then the reconciliation (2xx == Kafka == PostgreSQL == ClickHouse) and the recovery "
                    "time. Exits 1 when a row loses an acknowledged press, duplicates one, or cannot put the stack "
                    "back. Rows: " + ", ".join(row.name for row in ROWS) + "; controls that must FAIL (never run by "
                    "default): " + ", ".join(row.name for row in PLANTED) + ".")
    p.add_argument("rows", nargs="*", metavar="ROW", help="rows to run (default: all)")
    p.add_argument("--quick", action="store_true", help="short fault windows (8-10 s instead of 30-60 s)")
    p.add_argument("--sessions", type=int, default=32, help="the load's sessions (default 32)")
    p.add_argument("--connections", type=int, default=8, help="the load's wrk connections (default 8)")
    p.add_argument("--press-delay-ms", type=int, default=80,
                   help="each connection's pause before a press (default 80: at most about 100 presses/s "
                        "with 8 connections)")
    p.add_argument("--settle", type=int, default=20,
                   help="the reconciliation's settle time in seconds (default 20: a consumer reconnecting "
                        "after a store's restart must not be taken for a finished one)")
    p.add_argument("--record", metavar="FILE", help="also write the table into FILE (e.g. RELIABILITY.md) between "
                   f"the lines {MARK_BEGIN} and {MARK_END} (for the controls alone: 'faults controls:'), with how it "
                   "was run; the rest of FILE is kept")
    p.add_argument("--out", metavar="DIR", help="where the rows' files go (default <run dir>/faults/<time>)")
    p.add_argument("--stack-env", metavar="FILE", help="the stack's addresses (default $BUTTON_STACK_ENV, "
                   "else .run/stack.env)")
    return p


def _terminated(signum, _frame):
    # An exception, so that every row's cleanup runs (the disk-full row's unmount above all).
    raise SystemExit(128 + signum)


def main(argv=None):
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)
    unknown = [name for name in args.rows if name not in BY_NAME]
    if unknown:
        print(f"faults: unknown row(s) {', '.join(unknown)}; rows: {', '.join(BY_NAME)}", file=sys.stderr)
        return 2
    if not 1 <= args.connections <= 64 or not 1 <= args.sessions <= 1000 or not 0 <= args.press_delay_ms <= 10000:
        print("faults: --connections 1-64, --sessions 1-1000, --press-delay-ms 0-10000", file=sys.stderr)
        return 2
    if args.sessions < args.connections:
        args.sessions = args.connections
    try:
        stack = Stack(args.stack_env or default_env_file(ROOT))
    except StackError as error:
        print(f"faults: {error}", file=sys.stderr)
        return 2
    if not os.access(stack.broker_binary, os.X_OK):
        print(f"faults: {stack.broker_binary} is missing (the stack's build)", file=sys.stderr)
        return 2
    out = args.out or os.path.join(stack.run_dir, "faults", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    os.makedirs(out, exist_ok=True)
    try:
        before = stack.make_whole()
    except FaultError as error:
        print(f"faults: the stack is not whole and could not be made so: {error}", file=sys.stderr)
        return 2
    if before:
        print(f"faults: the stack was not whole before the first row: {', '.join(before)}", flush=True)
    rows = [BY_NAME[name] for name in args.rows] if args.rows else ROWS
    results = []
    for row in rows:
        print(f"faults: {row.title(args.quick)} ...", flush=True)
        started = time.time()
        try:
            result = (row.runner or run_row)(row, stack, args, os.path.join(out, row.name))
        except (FaultError, stores.StoreError, subprocess.TimeoutExpired) as error:
            result = {"row": row.name, "fault": row.title(args.quick), "ok": False, "problems": [str(error)]}
            try:
                stack.make_whole()
            except FaultError as again:
                result["problems"].append(f"the stack was not put back: {again}")
                results.append(result)
                break
        results.append(result)
        verdict = "ok" if result["ok"] else "FAIL: " + "; ".join(result["problems"])
        print(f"faults:   {verdict} ({time.time() - started:.0f} s; {'; '.join(result.get('notes', []))})",
              flush=True)
    lines = table(results)
    with open(os.path.join(out, "table.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "faults.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    print()
    for line in lines:
        print(line)
    if args.record:
        record(args.record, lines, stack, args)
        print(f"faults: the table is in {args.record}")
    print(f"\nfaults: files in {out}")
    return 0 if all(result["ok"] for result in results) else 1
