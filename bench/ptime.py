#!/usr/bin/env python3
"""Interleaved whole-process timer (Python standard library only).

  ptime.py [--rounds R] [--warmup W] [--ref LABEL] [--rss-runs K] [--json FILE]
           [--meta KEY=VALUE ...] LABEL=COMMAND ...

Each round runs every command once, in a rotated order, so a drift in the
machine's speed hits all commands alike; a command's ratio to the reference is
taken within the same round, then summarised (median / min) over rounds.
COMMAND is split like a shell would split it (shlex) but no shell is run; its
stdout and stderr go to /dev/null. Wall time is perf_counter around
posix_spawn + wait4; user and sys are the child's own rusage from wait4.

A command that exits non-zero (in the warm-up or any round) is marked FAILED
with its exit status (negative: killed by that signal) and not run again; its
row shows no timings. The reference must not fail.

Peak RSS is NOT taken from these wait4 calls: ru_maxrss carries the starter's
high-water mark across exec, and posix_spawn from this Python process (vfork
semantics: the child runs in Python's address space until exec) would report
~10 MB or more for any command. Instead each command that did not fail is run
K more times (untimed) as `/usr/bin/time -f %M COMMAND`: GNU time fork()s a
child from its own ~1 MB process, so the figure is the command's own peak
(floor: /bin/true measured the same way, printed under the table).
"""
import argparse, json, os, shlex, statistics, sys, tempfile, time

TIME = "/usr/bin/time"


def run_once(argv, devnull):
    """One timed run; returns (exit code, sample dict)."""
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    t0 = time.perf_counter_ns()
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    except OSError as e:
        return 127, {"error": str(e)}
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    return os.waitstatus_to_exitcode(status), {
        "wall": (t1 - t0) / 1e9, "user": ru.ru_utime, "sys": ru.ru_stime, "minflt": ru.ru_minflt}


def peak_rss_kb(argv, devnull):
    """The command's own peak RSS in kB via GNU time (None if unavailable or failed)."""
    if not os.access(TIME, os.X_OK):
        return None
    fd, out = tempfile.mkstemp(prefix="ptime-rss.")
    os.close(fd)
    try:
        fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        pid = os.posix_spawn(TIME, [TIME, "-f", "%x %M", "-o", out] + argv, os.environ, file_actions=fa)
        _, status, _ = os.wait4(pid, 0)
        # GNU time may put "Command exited with non-zero status N" first; the format is the last line
        last = open(out).read().strip().splitlines()[-1].split()
        if os.waitstatus_to_exitcode(status) != 0 or last[0] != "0":
            return None
        return int(last[1])
    except (OSError, IndexError, ValueError):
        return None
    finally:
        os.unlink(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--ref", help="label of the reference command (default: first)")
    ap.add_argument("--rss-runs", type=int, default=3, help="untimed runs under /usr/bin/time for peak RSS (0: skip)")
    ap.add_argument("--json", help="write all raw samples and summaries to this JSON file")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="copied into the JSON")
    ap.add_argument("cmds", nargs="+", metavar="LABEL=COMMAND")
    a = ap.parse_args()
    if a.rounds < 1:
        sys.exit("ptime: --rounds must be at least 1")
    cmds = []
    for c in a.cmds:
        label, sep, cmd = c.partition("=")
        if not sep or not cmd.strip():
            sys.exit(f"ptime: expected LABEL=COMMAND, got {c!r}")
        if label in dict(cmds):
            sys.exit(f"ptime: duplicate label {label!r}")
        cmds.append((label, shlex.split(cmd)))
    ref = a.ref or cmds[0][0]
    if ref not in dict(cmds):
        sys.exit(f"ptime: reference {ref!r} is not one of the labels")
    devnull = os.open(os.devnull, os.O_WRONLY)

    failed = {}                       # label -> exit code
    where = {}                        # label -> when it failed
    res = {l: [] for l, _ in cmds}    # label -> samples of completed rounds (index = round)
    rounds_ok = []                    # per round: {label: sample}

    def attempt(label, argv, r):
        rc, s = run_once(argv, devnull)
        if rc != 0:
            failed[label] = rc
            where[label] = "warm-up" if r < 0 else f"round {r + 1}"
            if label == ref:
                sys.exit(f"ptime: the reference {label!r} ({shlex.join(argv)}) exited with {rc}")
            return None
        return s

    for _ in range(a.warmup):
        for label, argv in cmds:
            if label not in failed:
                attempt(label, argv, -1)
    for r in range(a.rounds):
        k = r % len(cmds)
        this = {}
        for label, argv in cmds[k:] + cmds[:k]:
            if label not in failed:
                s = attempt(label, argv, r)
                if s is not None:
                    this[label] = s
        rounds_ok.append(this)

    med = statistics.median
    rows = []
    for label, argv in cmds:
        row = {"label": label, "argv": argv, "status": "ok", "exit": 0}
        if label in failed:
            row.update(status="FAILED", exit=failed[label], failed_in=where[label])
        else:
            samples = [rd[label] for rd in rounds_ok]
            ratios = [rd[label]["wall"] / rd[ref]["wall"] for rd in rounds_ok]
            walls = [s["wall"] for s in samples]
            row.update(
                wall_med=med(walls), wall_min=min(walls),
                user_med=med(s["user"] for s in samples), sys_med=med(s["sys"] for s in samples),
                ratio_med=med(ratios), ratio_min=min(ratios), walls=walls, ratios=ratios,
                users=[s["user"] for s in samples], syss=[s["sys"] for s in samples])
            if a.rss_runs > 0:
                kbs = [peak_rss_kb(argv, devnull) for _ in range(a.rss_runs)]
                kbs = [k for k in kbs if k is not None]
                row["peak_rss_kb"] = kbs
        rows.append(row)
    floor = None
    if a.rss_runs > 0:
        fl = [peak_rss_kb(["/bin/true"], devnull) for _ in range(a.rss_runs)]
        fl = [k for k in fl if k is not None]
        floor = med(fl) if fl else None

    hdr = (f"{'command':<24} {'wall ms':>9} {'ratio':>6} {'min':>6} "
           f"{'user ms':>8} {'sys ms':>8} {'peak RSS':>9}")
    print(hdr)
    print("-" * len(hdr))
    for row in rows:
        if row["status"] != "ok":
            rc = row["exit"]
            why = f"exit {rc}" if rc >= 0 else f"signal {-rc}"
            print(f"{row['label']:<24} {'FAILED':>9} ({why} in {row['failed_in']}; not timed)")
            continue
        kbs = row.get("peak_rss_kb")
        rss = f"{med(kbs)/1024:6.1f} MB" if kbs else f"{'-':>9}"
        print(f"{row['label']:<24} {row['wall_med']*1e3:9.2f} {row['ratio_med']:6.2f} {row['ratio_min']:6.2f} "
              f"{row['user_med']*1e3:8.1f} {row['sys_med']*1e3:8.1f} {rss}")
    print(f"wall ms = median over {a.rounds} interleaved rounds (after {a.warmup} warm-up); ratio/min = median/min of")
    print(f"  wall / wall of '{ref}' in the same round; user/sys = medians of the child's rusage from wait4.")
    if a.rss_runs > 0:
        if floor is None:
            print(f"peak RSS: not measured ({TIME} missing or failing)")
        else:
            print(f"peak RSS = ru_maxrss of the command started by GNU time ({TIME} -f %M, which fork()s it from its")
            print(f"  own small process; median of {a.rss_runs} untimed runs; floor: /bin/true measured so = {floor/1024:.1f} MB).")

    if a.json:
        meta = dict(m.partition("=")[::2] for m in a.meta)
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "ref": ref, "rounds": a.rounds, "warmup": a.warmup,
                       "rss_method": f"{TIME} -f %M, median of {a.rss_runs}", "rss_floor_kb": floor,
                       "rows": rows}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
