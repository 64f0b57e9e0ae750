"""The official Python client's side of the benchmark (bench/run.sh drives it): weave
0.52.35's RemoteHTTPTraceServer with should_batch=False, doing what examples/bench.rs does.
Prints "time <wall s> <cpu s>" for the operations alone (getrusage), then "rows <N>".

    python bench_sdk.py <adds|batch|query|walk> <count> <target> [size]
"""

import os
import resource
import sys
import time

from weave.trace_server import trace_server_interface as tsi
from weave.trace_server_bindings.remote_http_trace_server import RemoteHTTPTraceServer


def project_of(ref: str) -> str:
    entity, project = ref[len("weave:///"):].split("/")[:2]
    return f"{entity}/{project}"


def main() -> None:
    op, count, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size = int(sys.argv[4]) if len(sys.argv) > 4 else None
    server = RemoteHTTPTraceServer(os.environ["WF_TRACE_SERVER_URL"], should_batch=False)
    rows = 0

    def cpu() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    wall0, cpu0 = time.perf_counter(), cpu()
    if op == "adds":
        project = project_of(target)
        for i in range(count):
            server.feedback_create(tsi.FeedbackCreateReq(
                project_id=project, weave_ref=target, feedback_type="wandb.note.1",
                payload={"note": f"note {i}"}))
            rows += 1
    elif op == "batch":
        project = project_of(target)
        for b in range(count):
            items = [tsi.FeedbackCreateReq(
                project_id=project, weave_ref=target, feedback_type="wandb.note.1",
                payload={"note": f"batch {b} item {i}"}) for i in range(size or 1000)]
            rows += len(server.feedback_create_batch(tsi.FeedbackCreateBatchReq(batch=items)).res)
    elif op == "query":
        project = project_of(target)
        query = {"$expr": {"$eq": [{"$getField": "weave_ref"}, {"$literal": target}]}}
        for _ in range(count):
            res = server.feedback_query(tsi.FeedbackQueryReq(
                project_id=project, query=query,
                sort_by=[{"field": "created_at", "direction": "asc"}]))
            rows += len(res.result)
    elif op == "walk":
        page = size or 1000
        sort = [{"field": "created_at", "direction": "asc"}, {"field": "id", "direction": "asc"}]
        for _ in range(count):
            after = None
            while True:
                query = None
                if after:
                    ca, fid = after
                    query = {"$expr": {"$or": [
                        {"$gt": [{"$getField": "created_at"}, {"$literal": ca}]},
                        {"$and": [{"$eq": [{"$getField": "created_at"}, {"$literal": ca}]},
                                  {"$gt": [{"$getField": "id"}, {"$literal": fid}]}]}]}}
                res = server.feedback_query(tsi.FeedbackQueryReq(
                    project_id=target, query=query, sort_by=sort, limit=page))
                rows += len(res.result)
                if len(res.result) < page:
                    break
                last = res.result[-1]
                after = (last["created_at"], last["id"])
    else:
        raise SystemExit(f"unknown operation {op}")
    print(f"time {time.perf_counter() - wall0} {cpu() - cpu0}")
    print(f"rows {rows}")


if __name__ == "__main__":
    main()
