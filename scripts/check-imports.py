#!/usr/bin/env python3
"""The module rules of docs/DESIGN.md, checked against the code (run by `make test`).

  python3 scripts/check-imports.py [repository-root]

Reads the module table of docs/DESIGN.md (its last column is the whole list of a module's direct
imports) and fails, naming file and line, on:
  - an `import` in Sources/<Module>/ of a module not in that module's list (system modules such as
    Foundation and Dispatch are always allowed);
  - a dependency in Package.swift that the list does not allow;
  - the standing rules, checked even if someone edits the table: only Emulator imports
    Unicorn/Capstone, only Tensor imports BLAS, Tensor imports no dataset code, Search never imports
    Emulator, Calibration never imports Characterization;
  - printing from a library module (print, debugPrint, dump, FileHandle.standardOutput/Error,
    fputs/fwrite/putchar to stdout or stderr): only the executable formats output.
Exit status 0 when everything holds, 1 otherwise (every violation listed).
"""
import os
import re
import sys

SYSTEM = {"Foundation", "Dispatch", "Glibc", "Darwin", "Musl", "FoundationEssentials", "Synchronization", "_Differentiation"}
EXECUTABLE = "micronas"
STANDING = [  # (module, forbidden import, why)
    ("*", "CUnicorn", "only Emulator talks to Unicorn"),
    ("*", "CCapstone", "only Emulator talks to Capstone"),
    ("*", "CEmulatorShims", "only Emulator uses the Unicorn shims"),
    ("*", "COpenBLAS", "only Tensor calls BLAS"),
    ("Tensor", "Datasets", "the tensor engine knows no datasets"),
    ("Tensor", "Training", "the tensor engine knows no training"),
    ("Search", "Emulator", "Search takes latency only from lookup tables"),
    ("Calibration", "Characterization", "Calibration re-prices through overlays and stored events"),
]
OWNERS = {"CUnicorn": {"Emulator"}, "CCapstone": {"Emulator"}, "CEmulatorShims": {"Emulator"}, "COpenBLAS": {"Tensor"}}
PRINTING = re.compile(r"(?<![\w.])(print|debugPrint|dump)\s*\(|FileHandle\.standard(Output|Error)|\b(fputs|fwrite|fprintf|putchar|puts)\s*\(")


def design_table(path):
    """module name -> set of allowed imports, from the first markdown table with a 'may import' column."""
    rows, allowed, in_table, column = open(path, encoding="utf-8").read().splitlines(), {}, False, None
    for line in rows:
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if column is None:
            if any(c.lower() == "may import" for c in cells):
                column, in_table = [c.lower() for c in cells].index("may import"), True
            continue
        if set(cells[0]) <= set("-: "):
            continue
        names = re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[0])
        text = cells[column]
        deps = set() if text in ("—", "-", "") else ({"*"} if text.lower() == "all" else set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)))
        for n in names:
            allowed[n] = deps
    if not allowed:
        sys.exit(f"error: {path}: no module table with a 'may import' column")
    return allowed


def swift_files(folder):
    for base, _, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith(".swift"):
                yield os.path.join(base, f)


def strip_comments_and_strings(line, in_block):
    """The code of one line without // comments, /* */ comments and string literals (good enough for imports and calls)."""
    out, i = [], 0
    while i < len(line):
        if in_block:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_block = end + 2, False
            continue
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            in_block, i = True, i + 2
            continue
        if line[i] == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append('""')
            i = j + 1
            continue
        out.append(line[i])
        i += 1
    return "".join(out), in_block


def package_dependencies(path):
    """target name -> listed dependency names (string ones), from Package.swift."""
    text = open(path, encoding="utf-8").read()
    deps = {}
    for m in re.finditer(r"\.(?:target|executableTarget)\(\s*name:\s*\"(\w+)\"(.*?)\)\s*,\s*\n", text, re.S):
        body = m.group(2)
        d = re.search(r"dependencies:\s*\[(.*?)\]", body, re.S)
        deps[m.group(1)] = set(re.findall(r"\"(\w+)\"", d.group(1))) if d else set()
        if d:
            deps[m.group(1)] |= set(re.findall(r"\.product\(name:\s*\"(\w+)\"", d.group(1)))
    return deps


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    allowed = design_table(os.path.join(root, "docs", "DESIGN.md"))
    problems = []
    sources = os.path.join(root, "Sources")
    modules = sorted(d for d in os.listdir(sources) if os.path.isdir(os.path.join(sources, d)))
    for module in modules:
        files = list(swift_files(os.path.join(sources, module)))
        if not files:
            continue  # C targets and system library wrappers
        if module not in allowed:
            problems.append(f"Sources/{module}: module missing from the table in docs/DESIGN.md")
            continue
        permitted = allowed[module]
        for path in files:
            rel = os.path.relpath(path, root)
            in_block = False
            for number, raw in enumerate(open(path, encoding="utf-8"), 1):
                code, in_block = strip_comments_and_strings(raw.rstrip("\n"), in_block)
                m = re.match(r"\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_]\w*)", code)
                if m:
                    name = m.group(1)
                    if name not in SYSTEM and "*" not in permitted and name not in permitted:
                        problems.append(f"{rel}:{number}: {module} imports {name}; docs/DESIGN.md allows {', '.join(sorted(permitted)) or 'nothing'}")
                    for who, forbidden, why in STANDING:
                        if name == forbidden and (who == module or (who == "*" and module not in OWNERS.get(name, set()))):
                            problems.append(f"{rel}:{number}: {module} imports {name}: {why}")
                if module != EXECUTABLE and PRINTING.search(code):
                    problems.append(f"{rel}:{number}: library module {module} prints ({PRINTING.search(code).group(0)}); only the executable formats output")
    for target, deps in package_dependencies(os.path.join(root, "Package.swift")).items():
        if target in allowed and "*" not in allowed[target]:
            for d in sorted(deps - allowed[target] - SYSTEM):
                problems.append(f"Package.swift: target {target} depends on {d}; docs/DESIGN.md allows {', '.join(sorted(allowed[target])) or 'nothing'}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check-imports: {len(problems)} violation(s) of the module rules in docs/DESIGN.md", file=sys.stderr)
        return 1
    print(f"check-imports: {len(modules)} modules follow docs/DESIGN.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
