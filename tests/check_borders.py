"""Module borders of src/ (run by tests/run.sh with the system Python).

1. No private name (eegnn__*, EEGNN__*) defined in one module (src/<module>/)
   is used in another; core's internal helpers (src/core/) are shared by all.
2. The implementation files, and the modules, depend on each other without a
   cycle: a file depends on the file that defines a function, type or macro
   it uses, so the tree can be drawn (and is amalgamated) bottom-up.
Prints what it finds and ends with "borders: N passed, N failed".
"""
import collections
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
files = sorted(os.path.join(r, f) for r, _, fs in os.walk("src") for f in fs if f.endswith((".c", ".h")))
text = {p: open(p, encoding="utf-8").read() for p in files}
module = {p: p.split("/")[1] for p in files}

defined = {}  # name -> file that defines it
DEF = [r"^(?:static|EEGNN__PRIVATE|EEGNN_API)[^;{()=]*?\b((?:eegnn|EEGNN)_\w+)\s*\(",
       r"^typedef\s+(?:struct|enum)\s+(eegnn_\w+)", r"^(?:struct|enum)\s+(eegnn_\w+)\s*\{", r"^#define\s+(EEGNN_\w+)"]
for p in files:
    if p.endswith(".h") and not p.startswith("src/core/"):
        continue  # declarations: definitions are in the .c files (macros and types of headers count below)
    for pat in DEF:
        for m in re.finditer(pat, text[p], re.M):
            defined.setdefault(m.group(1), p)
for p in files:  # types and macros of public headers belong to their module's first .c file
    if p.endswith(".h"):
        for pat in DEF[1:]:
            for m in re.finditer(pat, text[p], re.M):
                defined.setdefault(m.group(1), p)

passed = failed = 0
crossings = set()
deps = collections.defaultdict(set)
for p in files:
    for m in re.finditer(r"\b((?:eegnn|EEGNN)_\w+)\b", text[p]):
        d = defined.get(m.group(1))
        if not d or d == p:
            continue
        if m.group(1).startswith(("eegnn__", "EEGNN__")) and module[d] not in (module[p], "core"):
            crossings.add((p, m.group(1), d))
        if p.endswith(".c") and d.endswith(".c"):
            deps[p].add(d)
for p, name, d in sorted(crossings):
    print("FAIL: %s uses %s, private to %s" % (p, name, d))
failed += len(crossings)
passed += not crossings


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


mod_deps = collections.defaultdict(set)
for a, bs in deps.items():
    for b in bs:
        if module[a] != module[b]:
            mod_deps[module[a]].add(module[b])
for what, graph in (("files", deps), ("modules", mod_deps)):
    c = find_cycle(graph)
    if c:
        print("FAIL: the %s depend on each other in a cycle: %s" % (what, " -> ".join(c)))
        failed += 1
    else:
        passed += 1
print("borders: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
