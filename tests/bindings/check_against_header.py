#!/usr/bin/env python3
"""Each binding against include/weave_feedback.h:

1. its copy of the weave_status values must equal the header's enum (`typedef enum
   weave_status { WEAVE_STATUS_X = n, ... }`): bindings/go (Status constants),
   bindings/python (class Status), bindings/ruby (STATUSES and ERROR_CLASSES);
2. it must bind every function the header declares (Go: `C.weave_x(`; Python: `_fn("weave_x"`;
   Ruby: `attach_function :weave_x`; the row getters through their field lists), in any of
   the binding's source files (bindings/go/*.go without tests, the Python package's *.py,
   bindings/ruby/lib/**/*.rb).

Fails naming every difference. Run by tests/hosts/run.sh; `--self-test` first shows that a
changed value, a missing name, a new header status and an unbound function are caught.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def camel(name: str) -> str:
    """INVALID_REF -> InvalidRef; OK stays OK (Go's initialism)."""
    return "OK" if name == "OK" else "".join(p.capitalize() for p in name.lower().split("_"))


def header(text: str) -> dict[str, int]:
    body = re.search(r"typedef enum weave_status \{(.*?)\} weave_status;", text, re.S)
    if not body:
        raise SystemExit("no weave_status enum in the header")
    return {m[1]: int(m[2]) for m in re.finditer(r"WEAVE_STATUS_([A-Z_]+) = (\d+)", body[1])}


def go(text: str) -> dict[str, int]:
    found = dict(re.findall(r"^\s*Status(\w+)\s+Status = (\d+)", text, re.M))
    return {k: int(v) for k, v in found.items()}


def python(text: str) -> dict[str, int]:
    body = re.search(r"class Status\(enum\.IntEnum\):(.*?)\n\n\n", text, re.S)
    return {m[1]: int(m[2]) for m in re.finditer(r"^\s+([A-Z_]+) = (\d+)$", body[1] if body else "", re.M)}


def ruby(text: str) -> dict[str, int]:
    body = re.search(r"STATUSES = %i\[(.*?)\]", text, re.S)
    names = body[1].split() if body else []
    return {name.upper(): i for i, name in enumerate(names)}


def ruby_error_classes(text: str) -> list[str]:
    body = re.search(r"ERROR_CLASSES = \[(.*?)\]", text, re.S)
    return [c.strip() for c in body[1].split(",")] if body else []


def compare(want: dict[str, int], got: dict[str, int], key) -> list[str]:
    problems = []
    for name, value in want.items():
        mine = got.get(key(name))
        if mine != value:
            problems.append(f"{key(name)}: header {value}, binding {mine}")
    extra = set(got) - {key(n) for n in want}
    problems += [f"{name}: not in the header" for name in sorted(extra)]
    return problems


def check(texts: dict[str, str]) -> list[str]:
    want = header(texts["header"])
    problems = [] if len(want) == 14 else [f"header: {len(want)} statuses, expected 14"]
    problems += [f"go {p}" for p in compare(want, go(texts["go"]), lambda n: camel(n))]
    problems += [f"python {p}" for p in compare(want, python(texts["python"]), lambda n: n)]
    problems += [f"ruby {p}" for p in compare(want, ruby(texts["ruby"]), lambda n: n)]
    classes = ruby_error_classes(texts["ruby"])
    expected = ["nil"] + [camel(n) + "Error" for n in sorted(want, key=lambda n: want[n])][1:]
    if classes != expected:
        problems.append(f"ruby ERROR_CLASSES {classes} != {expected}")
    return problems


def header_functions(text: str) -> set[str]:
    return set(re.findall(r"^.*[ *](weave_[a-z0-9_]+)\(", text, re.M))


def fields(text: str, pattern: str) -> list[str]:
    body = re.search(pattern, text, re.S)
    return re.findall(r"[a-z_]+", body[1]) if body else []


def bound(lang: str, text: str) -> set[str]:
    if lang == "go":
        return set(re.findall(r"C\.(weave_[a-z0-9_]+)\(", text))
    if lang == "python":
        names = set(re.findall(r'"(weave_[a-z0-9_]+)"', text))
        return names | {"weave_feedback_" + f for f in fields(text, r"_FIELDS = \((.*?)\)")}
    names = set(re.findall(r"attach_function :(weave_[a-z0-9_]+)", text))
    return names | {"weave_feedback_" + f for f in fields(text, r"FEEDBACK_FIELDS = %i\[(.*?)\]")}


# Functions the bindings do not wrap yet, listed here so the gap is explicit and the check still
# catches every other one: add a new C function here until all three bindings wrap it, then
# remove it. Empty: every function is wrapped.
NOT_YET_BOUND: set[str] = set()


def coverage(texts: dict[str, str]) -> list[str]:
    want = header_functions(texts["header"]) - NOT_YET_BOUND
    problems = [] if len(want) > 50 else [f"header: only {len(want)} functions parsed"]
    for lang in ("go", "python", "ruby"):
        problems += [f"{lang}: {name} is not bound" for name in sorted(want - bound(lang, texts[lang]))]
    return problems


def sources(folder: str, pattern: str) -> str:
    """Every source file of a binding (tests excluded), in name order, as one text."""
    files = sorted(p for p in (ROOT / folder).glob(pattern) if not p.name.endswith("_test.go"))
    if not files:
        raise SystemExit(f"no {pattern} under {folder}")
    return "\n".join(p.read_text() for p in files)


def load() -> dict[str, str]:
    return {
        "header": (ROOT / "include/weave_feedback.h").read_text(),
        "go": sources("bindings/go", "*.go"),
        "python": sources("bindings/python/src/weave_feedback", "*.py"),
        "ruby": sources("bindings/ruby/lib", "**/*.rb"),
    }


def self_test() -> None:
    texts = load()
    assert check(texts) == [], check(texts)
    broken = dict(texts, go=texts["go"].replace("StatusTimeout         Status = 10", "StatusTimeout         Status = 11"))
    assert any("go Timeout" in p for p in check(broken)), "a changed Go value was not caught"
    broken = dict(texts, python=texts["python"].replace("    DECODE = 11\n", ""))
    assert any("python DECODE" in p for p in check(broken)), "a missing Python name was not caught"
    broken = dict(texts, ruby=texts["ruby"].replace("rate_limited server", "server rate_limited"))
    assert any("ruby" in p for p in check(broken)), "swapped Ruby statuses were not caught"
    broken = dict(texts, header=texts["header"].replace("WEAVE_STATUS_OUTBOX_FULL = 13,", "WEAVE_STATUS_OUTBOX_FULL = 13,\n    WEAVE_STATUS_NEW = 14,"))
    assert any("NEW" in p or "New" in p for p in check(broken)), "a new header status was not caught"
    broken = dict(texts, header=texts["header"].replace("void weave_refs_free(", "void weave_refs_free(void);\nvoid weave_refs_clear("))
    assert coverage(broken) == [f"{lang}: weave_refs_clear is not bound" for lang in ("go", "python", "ruby")], coverage(broken)
    print("self-test: 5 planted differences caught")


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
    texts = load()
    problems = check(texts) + coverage(texts)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    functions = header_functions(texts["header"])
    gap = sorted(functions & NOT_YET_BOUND)
    print(f"the header's 14 weave_status values and {len(functions) - len(gap)} of its "
          f"{len(functions)} functions: all in Go, Python and Ruby"
          + (f" (not yet bound: {', '.join(gap)})" if gap else ""))
