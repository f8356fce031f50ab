"""Run the examples of the user documentation and write their real output into it.

    python docs/examples.py           # rewrite the ```console blocks of docs/*.md
    python docs/examples.py --check   # exit 1 when a block is not what the command prints

A block's lines starting with `$ ctreport` are commands, run through the shell (pipes and jq
work) on the bundled fact base; the lines after each are its output. A command ending in
`# a N-column terminal` runs in a pseudo-terminal that wide; one ending in another `# ...`
comment is shown, not run. tests/test_data.py fails when the examples are stale.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).parent
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
TERMINAL = re.compile(r"\s+# an? (\d+)-column terminal$")


def run(command: str, environment: dict[str, str]) -> str:
    terminal = TERMINAL.search(command)
    if terminal:
        plain = command[: terminal.start()]
        # COLUMNS would outrank the terminal's own width; TERM and SHELL vary between machines.
        inner = f"stty cols {terminal.group(1)} rows 300; unset COLUMNS LINES; NO_COLOR=1 PAGER=cat {plain}"
        shell = ["script", "-qec", inner, "/dev/null"]
    else:
        shell = ["bash", "-c", command]
    result = subprocess.run(shell, capture_output=True, text=True, env=environment, timeout=120)
    text = result.stdout.replace("\r\n", "\n")
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def rendered(block: str, environment: dict[str, str]) -> str:
    out = []
    for line in block.splitlines():
        if not line.startswith("$ "):
            continue
        out.append(line + "\n")
        command = line[2:]
        if " # " in command and not TERMINAL.search(command):
            continue  # described, not run
        out.append(run(command, environment))
    return "".join(out)


def environment() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTREPORT_", "NO_COLOR", "PAGER"))}
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["CTREPORT_CACHE_DIR"] = tempfile.mkdtemp(prefix="ctreport-examples-")
    env["COLUMNS"] = "100"
    env["TERM"] = "xterm"
    env["SHELL"] = "/bin/sh"
    return env


def refreshed(text: str, env: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: "```console\n" + rendered(m.group(1), env) + "```", text)


def main(argv: list[str]) -> int:
    env = environment()
    stale = []
    for path in sorted(p for p in DOCS.glob("*.md") if p.name != "cli.md"):  # cli.md: generate.py
        text = path.read_text(encoding="utf-8")
        new = refreshed(text, env)
        if new != text:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        print(f"stale examples in {', '.join(stale)}: run python docs/examples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
