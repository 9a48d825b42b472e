#!/usr/bin/env python3
"""The results schema (columns.def) for the Python side.

    columns.py names             the columns of results.csv, one a line
    columns.py readme            harness/README.md's column reference (Markdown)
    columns.py check README.md   exit 1 if README.md's reference is not that
    columns.py update README.md  rewrite README.md's reference from columns.def

Imported by bench/check_run.py (results_columns(): the header it expects)
and run by the test harness-schema, so that the column list exists once, in
columns.def, beside the C that writes it."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEF = os.path.join(HERE, "columns.def")
BEGIN = "<!-- columns: generated from harness/results/columns.def by columns.py readme -->"
END = "<!-- end of columns -->"

# TEXT_COLUMN(name, size, rounds, "text"), WORD_COLUMN(name, type, words,
# rounds, "text"), NUM_COLUMN(name, decimals, rounds, "unit", "text"),
# FLAGS_COLUMN(name, "text"): one a line.
LINE = re.compile(r'^(TEXT|WORD|NUM|FLAGS)_COLUMN\((\w+),(.*?)"((?:[^"\\]|\\.)*)"\)\s*$')


def columns(path=DEF):
    """[(name, type, unit, text)] in the order of results.csv."""
    out = []
    for line in open(path, encoding="utf-8"):
        m = LINE.match(line)
        if not m:
            continue
        kind, name, middle, text = m.groups()
        unit = ""
        if kind == "NUM":
            unit = re.findall(r'"([^"]*)"', middle)[0]
        out.append((name, kind.lower(), unit, text))
    return out


def results_columns(path=DEF):
    return [c[0] for c in columns(path)]


def readme(path=DEF):
    """The reference table: a row per column, or per group of columns
    documented together (text "" joins the row above)."""
    rows = []
    for name, _, unit, text in columns(path):
        label = f"{name} ({unit})" if unit else name
        if text or not rows:
            rows.append([[label], text])
        else:
            rows[-1][0].append(label)
    lines = [BEGIN, "| column | meaning |", "|---|---|"]
    lines += [f"| {', '.join(names)} | {text} |" for names, text in rows]
    lines.append(END)
    return "\n".join(lines) + "\n"


def span(readme_path):
    """(text, start, end) of README's generated reference, or None."""
    text = open(readme_path, encoding="utf-8").read()
    a, b = text.find(BEGIN), text.find(END)
    if a < 0 or b < 0:
        print(f"{readme_path}: no generated column reference ({BEGIN})")
        return None
    return text, a, b + len(END) + 1


def check(readme_path):
    found = span(readme_path)
    if not found:
        return 1
    text, a, b = found
    if text[a:b] != readme():
        print(f"{readme_path}: the column reference differs from columns.def; "
              "regenerate it: python3 harness/results/columns.py update harness/README.md")
        return 1
    return 0


def update(readme_path):
    found = span(readme_path)
    if not found:
        return 1
    text, a, b = found
    with open(readme_path, "w", encoding="utf-8") as f:
        f.write(text[:a] + readme() + text[b:])
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "names":
        print("\n".join(results_columns()))
    elif len(sys.argv) == 2 and sys.argv[1] == "readme":
        sys.stdout.write(readme())
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        return check(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "update":
        return update(sys.argv[2])
    else:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
