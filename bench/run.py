"""Benchmark driver (run by bench/run.sh, which starts the server and builds the clients).

For each operation and client the client process does the operation K times and reports
its own wall and CPU time (user + system, getrusage) for those K operations alone, so start-up
(importing weave takes a second) does not blur them. Syscalls and threads created
(clone/clone3) come from `strace -f -c` (when strace exists; separate runs, since strace
slows the process) of a run with count 0 and one with count K: (K - 0) / K. Peak RSS is the
K run's (wait4's rusage). curl cannot time itself: it is run with 1 and 1 + K requests and
its figures are (run K+1 - run 1) / K.
Numbers are printed, never checked.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid


def measure(cmd, env, strace):
    """Runs cmd; returns dict(wall, cpu, rss_mib, rows, syscalls, threads)."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out")
        trace_path = os.path.join(tmp, "trace")
        full = (["strace", "-f", "-c", "-o", trace_path] + cmd) if strace else cmd
        with open(out_path, "wb") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(full, env=env, stdout=out, stderr=subprocess.PIPE)
            err = proc.stderr.read()
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        text = open(out_path, "rb").read().decode(errors="replace")
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text}\n{err.decode(errors='replace')}")
        rows = None
        cpu = ru.ru_utime + ru.ru_stime
        for line in text.splitlines():
            if line.startswith("rows "):
                rows = int(line.split()[1])
            if line.startswith("time "):
                wall, cpu = (float(x) for x in line.split()[1:3])
        result = {"wall": wall, "cpu": cpu, "rss_mib": ru.ru_maxrss / 1024, "rows": rows}
        if strace:
            calls = threads = 0
            for line in open(trace_path):
                f = line.split()
                if len(f) >= 5 and f[0][0].isdigit():
                    n = int(f[3])
                    if f[-1] == "total":
                        continue
                    calls += n
                    if f[-1] in ("clone", "clone3", "fork", "vfork"):
                        threads += n
            result["syscalls"] = calls
            result["threads"] = threads
        return result


def curl_config(path, url, route, bodies):
    with open(path, "w") as f:
        for i, body in enumerate(bodies):
            if i:
                f.write("next\n")
            f.write(f'url = "{url}{route}"\nrequest = "POST"\n'
                    'header = "Content-Type: application/json"\n'
                    f'data-binary = "@{body}"\noutput = "/dev/null"\nsilent\nfail\n')


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rust", required=True)
    ap.add_argument("--c", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--raw", help="bench/raw.c: socket calls only (adds and queries)")
    ap.add_argument("--small", action="store_true", help="CI: tiny counts, checks it runs")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, WF_TRACE_SERVER_URL=a.url, WANDB_API_KEY="")
    strace = shutil.which("strace") is not None
    curl = shutil.which("curl")
    small = a.small
    adds_k = 10 if small else 200
    batch_size = 50 if small else 1000
    batch_k = 1 if small else 2
    query_rows = 100 if small else 2000
    query_k = 2 if small else 20
    walk_rows = 2000 if small else 200_000
    page = 1000
    tag = uuid.uuid4().hex[:8]

    def call_ref(project):
        return f"weave:///bench/{project}-{tag}/call/0192f3a4-5b6c-7d8e-9f01-{uuid.uuid4().hex[:12]}"

    # Preparation: rows to query and to walk, added fast in batches by the Rust client.
    query_ref = call_ref("query")
    walk_project = f"benchwalk-{tag}"
    walk_ref = f"weave:///bench/{walk_project}/call/0192f3a4-5b6c-7d8e-9f01-000000000001"
    t = time.perf_counter()
    for ref, n in ((query_ref, query_rows), (walk_ref, walk_rows)):
        subprocess.run([a.rust, "seed", str(n), ref, "5000"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"seeded {query_rows} + {walk_rows} rows in {time.perf_counter() - t:.1f} s", flush=True)

    clients = {
        "Rust": lambda *args: [a.rust, *args],
        "C": lambda *args: [a.c, *args],
        "Python SDK": lambda *args: [a.python, os.path.join(here, "bench_sdk.py"), *args],
    }
    ops = [
        ("add (sequential)", "adds", adds_k, None, lambda c: call_ref(f"adds-{c[0].lower()}")),
        (f"batch of {batch_size}", "batch", batch_k, str(batch_size),
         lambda c: call_ref(f"batch-{c[0].lower()}")),
        (f"query of {query_rows} rows", "query", query_k, None, lambda c: query_ref),
        (f"paged walk of {walk_rows} rows", "walk", 1, str(page), lambda c: f"bench/{walk_project}"),
    ]
    if a.raw:
        clients["raw socket"] = lambda *args: [a.raw, *args]
    results = []  # (op label, client, per-op dict)
    tmp = tempfile.mkdtemp()
    for label, op, k, size, target_of in ops:
        for name, cmd in clients.items():
            if name == "raw socket" and op not in ("adds", "query"):
                continue
            target = target_of(name)
            extra = [size] if size else []
            runs = {}
            for count in (0, k):
                runs[count] = measure(cmd(op, str(count), target, *extra), env, False)
                if strace:
                    s = measure(cmd(op, str(count), target, *extra), env, True)
                    runs[count]["syscalls"], runs[count]["threads"] = s["syscalls"], s["threads"]
            want = {"adds": k, "batch": k * int(size or 0), "query": k * query_rows,
                    "walk": walk_rows}[op]
            if runs[k]["rows"] != want:
                sys.exit(f"{name} {op}: {runs[k]['rows']} rows, expected {want}")
            per = {key: (runs[k][key] - runs[0][key]) / k
                   for key in ("wall", "cpu", "syscalls", "threads") if key in runs[k]}
            per["rss_mib"] = runs[k]["rss_mib"]
            results.append((label, name, per))
            print(f"  {label:28s} {name:11s} wall {fmt_time(per['wall'])}, CPU {fmt_time(per['cpu'])}",
                  flush=True)
        if curl and op in ("adds", "batch", "query"):
            route = {"adds": "/feedback/create", "batch": "/feedback/batch/create",
                     "query": "/feedback/query"}[op]
            project = f"bench/curl-{tag}"
            ref = call_ref("curl")
            bodies = []
            import json
            for i in range(k + 1):
                if op == "adds":
                    body = {"project_id": project, "weave_ref": ref, "feedback_type": "wandb.note.1",
                            "payload": {"note": f"note {i}"}, "id": str(uuid.uuid4())}
                elif op == "batch":
                    body = {"batch": [{"project_id": project, "weave_ref": ref,
                                       "feedback_type": "wandb.note.1",
                                       "payload": {"note": f"batch {i} item {j}"}}
                                      for j in range(int(size))]}
                else:
                    qp = query_ref[len("weave:///"):].split("/")
                    body = {"project_id": f"{qp[0]}/{qp[1]}",
                            "query": {"$expr": {"$eq": [{"$getField": "weave_ref"},
                                                        {"$literal": query_ref}]}},
                            "sort_by": [{"field": "created_at", "direction": "asc"}]}
                p = os.path.join(tmp, f"{op}-{i}.json")
                with open(p, "w") as f:
                    json.dump(body, f)
                bodies.append(p)
            runs = {}
            for n in (1, k + 1):
                cfg = os.path.join(tmp, f"{op}-{n}.cfg")
                curl_config(cfg, a.url, route, bodies[:n])
                runs[n] = measure([curl, "-K", cfg], env, False)
                if strace:
                    s = measure([curl, "-K", cfg], env, True)
                    runs[n]["syscalls"], runs[n]["threads"] = s["syscalls"], s["threads"]
            per = {key: (runs[k + 1][key] - runs[1][key]) / k
                   for key in ("wall", "cpu", "syscalls", "threads") if key in runs[k + 1]}
            per["rss_mib"] = runs[k + 1]["rss_mib"]
            results.append((label, "curl", per))
            print(f"  {label:28s} {'curl':11s} wall {fmt_time(per['wall'])}, CPU {fmt_time(per['cpu'])}",
                  flush=True)

    print()
    print("| operation | client | wall/op | CPU/op | CPU vs SDK | wall vs curl | syscalls/op | "
          "threads/op | peak RSS |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    by = {(l, n): p for l, n, p in results}
    for label, name, per in results:
        sdk = by.get((label, "Python SDK"))
        cu = by.get((label, "curl"))
        cpu_ratio = f"{per['cpu'] / sdk['cpu']:.3f}x" if sdk and sdk["cpu"] > 0 else "—"
        wall_ratio = f"{per['wall'] / cu['wall']:.2f}x" if cu and cu["wall"] > 0 else "—"
        sc = f"{per['syscalls']:.1f}" if "syscalls" in per else "—"
        th = f"{per['threads']:.2f}" if "threads" in per else "—"
        print(f"| {label} | {name} | {fmt_time(per['wall'])} | {fmt_time(per['cpu'])} | "
              f"{cpu_ratio} | {wall_ratio} | {sc} | {th} | {per['rss_mib']:.1f} MiB |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
