#!/usr/bin/env python3
"""harness-layers: the harness's folders are layers, arrows only downward.

    layers.py SOURCE_ROOT LIBRARY.a

The order of the folders is the folder map that opens harness/README.md
(first row: the top). Checks, each failure one line naming the files:
- every folder under harness/ is in the map, and every map row is a folder;
- includes: a file includes harness headers as "folder/name.h", only from
  its own folder or a folder below it (and the header exists), and no
  headers include each other in a cycle;
- the link map (nm over the library's objects): a file calls or reads only
  symbols defined in its own folder or below, and inside a folder the calls
  between files have no cycle;
- one library: every harness .c file but cli/main.c is in LIBRARY.a, and no
  other meson.build compiles harness sources of its own;
- no harness file over 500 lines.
Exit 0 when all hold, 1 otherwise. Takes well under a second."""
import os
import re
import subprocess
import sys

MAX_LINES = 500


def folder_map(readme):
    """The folders of the map table, top first: rows "| `name/` | ..."."""
    order = []
    for line in open(readme, encoding="utf-8"):
        if line.startswith("## ") and order:
            break
        m = re.match(r"\|\s*`([a-z_]+)/`\s*\|", line)
        if m:
            order.append(m.group(1))
    return order


def sources(hdir, folders):
    for d in folders:
        for f in sorted(os.listdir(os.path.join(hdir, d))):
            if f.endswith((".c", ".h", ".def")):
                yield d, f


def check_includes(hdir, rank, problems):
    graph = {}
    for d, f in sources(hdir, rank):
        text = open(os.path.join(hdir, d, f), encoding="utf-8").read()
        n = text.count("\n")
        if n > MAX_LINES:
            problems.append(f"{d}/{f}: {n} lines (at most {MAX_LINES})")
        for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
            top = inc.split("/")[0]
            if "/" not in inc:
                if any(os.path.exists(os.path.join(hdir, x, inc)) for x in rank):
                    problems.append(f"{d}/{f}: #include \"{inc}\" without its folder")
                continue
            if top not in rank:
                continue
            graph.setdefault(f"{d}/{f}", set()).add(inc)
            if not os.path.exists(os.path.join(hdir, inc)):
                problems.append(f"{d}/{f}: #include \"{inc}\": no such header")
            elif rank[top] < rank[d]:
                problems.append(f"{d}/{f}: includes {inc} from a higher layer ({top}/ "
                                f"is above {d}/)")
    for comp in cycles(sorted(graph), graph):
        problems.append("include cycle: " + ", ".join(comp))


def object_file(member, rank):
    """harness_report_html_points.c.o -> ("report", "html_points.c")."""
    base = os.path.basename(member)
    for d in rank:
        p = f"harness_{d}_"
        if base.startswith(p):
            return d, base[len(p):-2]
    return None


def link_map(lib, rank):
    out = subprocess.run(["nm", "-A", lib], capture_output=True, text=True,
                         check=True).stdout
    defs, uses = {}, {}
    for line in out.splitlines():
        path, _, rest = line.rpartition(":")
        obj = object_file(path.split(":")[-1], rank)
        f = rest.split()
        if obj is None or len(f) < 2:
            continue
        uses.setdefault(obj, set())
        if f[0] == "U":
            uses[obj].add(f[1])
        elif len(f) == 3 and f[1] in "TDBRC":
            defs[f[2]] = obj
    edges = {}
    for obj, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != obj:
                edges.setdefault(obj, {}).setdefault(defs[s], []).append(s)
    return uses.keys(), edges


def cycles(nodes, edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def check_links(lib, rank, problems):
    objs, edges = link_map(lib, rank)
    for a, targets in sorted(edges.items()):
        for b, syms in sorted(targets.items()):
            if rank[b[0]] < rank[a[0]]:
                problems.append(f"{a[0]}/{a[1]} uses {', '.join(sorted(syms)[:3])} of "
                                f"{b[0]}/{b[1]}, a higher layer")
    for d in rank:
        inside = {a: {b for b in t if b[0] == d} for a, t in edges.items() if a[0] == d}
        for comp in cycles([o for o in objs if o[0] == d], inside):
            problems.append(f"{d}/: call cycle between " +
                            ", ".join(f"{c[1]}" for c in comp))
    return objs


def check_one_library(root, hdir, rank, objs, problems):
    built = {f"{d}/{f}" for d, f in objs}
    for d, f in sources(hdir, rank):
        if f.endswith(".c") and f"{d}/{f}" not in built and f"{d}/{f}" != "cli/main.c":
            problems.append(f"{d}/{f}: not in the harness library")
    for dirpath, _, files in os.walk(os.path.join(root, "tests")):
        if "meson.build" in files:
            text = open(os.path.join(dirpath, "meson.build"), encoding="utf-8").read()
            if re.search(r"harness/[a-z_/]+\.c'", text):
                problems.append(f"{dirpath}/meson.build compiles harness sources; link "
                                "harness_dep instead")


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root, lib = sys.argv[1], sys.argv[2]
    hdir = os.path.join(root, "harness")
    order = folder_map(os.path.join(hdir, "README.md"))
    # rank: the row in the map; 0 is the top, a larger rank a lower layer.
    rank = {d: i for i, d in enumerate(order)}
    problems = []
    on_disk = {d for d in os.listdir(hdir) if os.path.isdir(os.path.join(hdir, d))
               and d != "__pycache__"}
    for d in sorted(on_disk - set(order)):
        problems.append(f"harness/{d}/ is missing from the folder map of harness/README.md")
    for d in order:
        if d not in on_disk:
            problems.append(f"the folder map names {d}/, which is not a folder")
    rank = {d: r for d, r in rank.items() if d in on_disk}
    check_includes(hdir, rank, problems)
    objs = check_links(lib, rank, problems)
    check_one_library(root, hdir, rank, objs, problems)
    for p in problems:
        print("harness-layers: " + p)
    print(f"harness-layers: {len(order)} folders, {len(list(objs))} objects, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
