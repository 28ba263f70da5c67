#!/usr/bin/env python3
"""Draws the crate's module import graph from its source and checks it.

Every `crate::…` and `super::…` path in a module's non-test code is an edge to the deepest module
it names (comments and test modules are left out). Prints the graph of top-level modules, then
every import circle (between files, and between top-level modules) and every import that runs from
a lower layer to a higher one (the layers are ARCHITECTURE.md's). Exits 1 if there is any of
them, or a top-level module in no layer.

Usage: scripts/import-graph.py [SRC_DIR]   (default: src)
"""

import collections
import os
import re
import sys

# Lowest layer first; a module may import its own layer and those below it.
LAYERS = [
    ["fs_atomic", "fs_read", "log_fields", "recent_ids", "shipped_files", "media"],
    ["sidecar", "encode", "frigate", "notify"],
    ["timeline", "motion", "detect", "ce", "render"],
    ["config", "mqtt_link", "api", "ai", "gpu"],
    ["flow", "ce_report", "runtime_libraries", "inference", "ce_folder", "metrics"],
    ["accelerator", "retention"],
    ["pipeline"],
    ["assemble", "offline", "cluster"],
    ["bench", "service", "cli", "main"],
]
# Lower-to-higher imports that are known and justified in ARCHITECTURE.md.

PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
GROUP = re.compile(r"\b(crate|super)((?:::\w+)*)::\{([^;]*?)\}", re.S)


def module_of(root, path):
    parts = os.path.relpath(path, root)[:-3].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "::".join(parts) if parts != ["lib"] else ""


def resolve(modules, module, is_mod_file, kind, segments):
    if kind == "super":
        parent = module if is_mod_file else module.rsplit("::", 1)[0] if "::" in module else ""
        parent = parent.rsplit("::", 1)[0] if "::" in parent else ""
        if not is_mod_file:
            parent = module.rsplit("::", 1)[0] if "::" in module else ""
        segments = ([parent] if parent else []) + segments
    for length in range(len(segments), 0, -1):
        candidate = "::".join(segments[:length])
        if candidate in modules:
            return candidate
    return None


def graph(root):
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                files[module_of(root, path)] = path
    modules = set(files)
    edges = collections.defaultdict(set)
    for module, path in files.items():
        text = re.split(r"#\[cfg\(test\)\]\s*(?:pub(?:\(crate\))?\s+)?mod \w+", open(path).read())[0]
        text = re.sub(r"//[^\n]*", "", text)
        is_mod_file = path.endswith("mod.rs") or path.endswith("lib.rs")
        found = [(kind, rest.strip(":").split("::")) for kind, rest in PATH.findall(text)]
        for kind, base, inner in GROUP.findall(text):
            for item in inner.split(","):
                item = item.strip().split(" as ")[0].strip()
                if item and item != "self":
                    found.append((kind, (base.strip(":") + "::" + item).strip(":").split("::")))
        for kind, segments in found:
            target = resolve(modules, module, is_mod_file, kind, [s for s in segments if s])
            if target is None or target == module:
                continue
            if module.startswith(target + "::") or target.startswith(module + "::"):
                continue
            edges[module].add(target)
    return edges


def circles(edges):
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    edges = graph(root)
    top = collections.defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            a, b = source.split("::")[0], target.split("::")[0]
            if a != b:
                top[a].add(b)
    layer = {name: level for level, names in enumerate(LAYERS) for name in names}
    unknown = sorted(m for m in set(top) | {t for ts in top.values() for t in ts} if m not in layer)
    upward = sorted((a, b) for a, targets in top.items() for b in targets if layer.get(b, 0) > layer.get(a, 0))
    for source in sorted(top):
        print(f"{source or '(lib)'} -> {' '.join(sorted(top[source]))}")
    file_circles, top_circles = circles(edges), circles(top)
    print(f"\ncircles between files: {file_circles or 'none'}")
    print(f"circles between top-level modules: {top_circles or 'none'}")
    print(f"modules in no layer: {unknown or 'none'}")
    print(f"imports from a lower layer to a higher one: {upward or 'none'}")
    return 1 if file_circles or top_circles or upward or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
