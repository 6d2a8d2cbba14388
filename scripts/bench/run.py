"""The benchmark driver behind scripts/bench.sh (run that, not this): fidelity, speed, memory.

Every tool makes the same edit (append one aws entry to `container_registries`, creating the key
when it is absent) on every input:
  fioreg          the release binary, the whole command a user runs:
                  fioreg --config FILE --factory acme --fioctl tests/support/fioctl --yes
                         --no-verify add aws --url 123456789012.dkr.ecr.us-east-2.amazonaws.com
                         --profile ci-pull
                  (parse, checks, plan and diff printed, the secret handed to the fioctl stand-in,
                  the file written atomically with fsync, settings recorded), on a fresh copy of
                  the input before every run
  fioreg editor   target/release/examples/edit IN OUT (examples/edit.rs: FactoryConfig::load +
                  edit only), for the files where the command refuses the edit (they already hold
                  an aws entry, and CI crashes on two)
  ruamel          python scripts/bench/ruamel_edit.py IN OUT (ruamel.yaml round-trip mode)
  yaml            node yaml_edit.mjs IN OUT                  (npm `yaml` Document API)

Fidelity: the number of lines of the old file that the new file no longer holds unchanged and in
order (GNU diff's deleted or changed old lines), not counting the top-level
`container_registries:` line itself (an edit of an empty `container_registries: []` must change
it), plus one when the file's final newline appeared or disappeared. Insertions count 0. A line
counts as changed when any byte of it changed, its line ending included (CRLF -> LF counts).

Speed: whole-process wall time, median of >= 10 runs with hyperfine (or a Python loop when
hyperfine is missing), all tools measured in the same invocation; ratios are tool / fioreg.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "container_registries"
TARGET_RUAMEL = 30.0  # the fioreg binary at least this many times faster than ruamel.yaml on 1 MB
TARGET_YAML = 10.0  # ... and than node yaml
TARGET_STARTUP_MS = 10.0  # `fioreg --version` and `fioreg list` median


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


AWS_URL = "123456789012.dkr.ecr.us-east-2.amazonaws.com"


class Tools:
    """How each tool makes the edit. Every command takes (IN, OUT): the fioreg binary edits OUT
    in place, so its `prepare` copies IN to OUT first (not timed)."""

    def __init__(self, args: argparse.Namespace, root: Path, work: Path):
        self.root = root
        target = Path(args.target_dir)
        self.edit = target / "release/examples/edit"
        self.fioreg = target / "release/fioreg"
        self.node = shutil.which("node") or "node"
        # The fioreg binary's world: the fioctl stand-in's state, a pull-only AWS profile, HOME.
        self.home = (work / "fioreg-home").resolve()
        (self.home / "stub").mkdir(parents=True, exist_ok=True)
        (self.home / "credentials").write_text(
            "[ci-pull]\naws_access_key_id = AKIAEXAMPLEPULL00001\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
        self.env = dict(os.environ, HOME=str(self.home), FIOCTL_STUB_DIR=str(self.home / "stub"),
                        AWS_SHARED_CREDENTIALS_FILE=str(self.home / "credentials"),
                        AWS_CONFIG_FILE=str(self.home / "aws-config"), NO_COLOR="1")
        (self.home / "aws-config").write_text("")
        self.commands = {
            "fioreg": lambda i, o: [str(self.fioreg), "--config", str(o), "--factory", "acme", "--fioctl",
                                    str(root / "tests/support/fioctl"), "--yes", "--no-verify", "add", "aws",
                                    "--url", AWS_URL, "--profile", "ci-pull"],
            "ruamel.yaml": lambda i, o: [args.ruamel_python, str(root / "scripts/bench/ruamel_edit.py"), str(i), str(o)],
            "yaml (node)": lambda i, o: [self.node, str(Path(args.node_script).resolve()), str(i), str(o)],
        }
        self.editor = lambda i, o: [str(self.edit), str(i), str(o)]

    @staticmethod
    def prepare(tool: str, i: Path, o: Path) -> list[str]:
        # `cat` rather than `cp`: the copy is writable whatever the input's mode.
        return ["sh", "-c", f"cat '{i}' > '{o}'"] if tool == "fioreg" else ["true"]


# --- inputs ---------------------------------------------------------------------------------

GENERATED = [
    ("gen-10k.yml", 10_000, False),
    ("gen-10k-crlf.yml", 10_000, True),
    ("gen-1m.yml", 1_000_000, False),
    ("gen-1m-crlf.yml", 1_000_000, True),
    ("gen-10m.yml", 10_000_000, False),
]


def inputs(root: Path, corpus: Path, work: Path, notes: list[str]) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    if corpus.is_dir():
        for p in sorted(corpus.glob("*.yml")):
            out.append((f"corpus/{p.name}", p))
    else:
        notes.append(f"The corpus ({corpus}) is absent here: its files were skipped.")
    for p in sorted((root / "tests/golden").glob("*.in.yml")):
        out.append((f"golden/{p.name}", p))
    gen = work / "inputs"
    gen.mkdir(parents=True, exist_ok=True)
    for name, size, crlf in GENERATED:
        p = gen / name
        cmd = [sys.executable, str(root / "scripts/bench/gen_config.py"), str(size), str(p)]
        if crlf:
            cmd.append("--crlf")
        subprocess.run(cmd, check=True)
        out.append((name, p))
    return out


# --- fidelity -------------------------------------------------------------------------------

def key_lines(text: bytes) -> set[int]:
    """1-based numbers of the top-level `container_registries:` lines."""
    found = set()
    for n, line in enumerate(text.split(b"\n"), 1):
        for k in (KEY.encode(), f'"{KEY}"'.encode(), f"'{KEY}'".encode()):
            if line.startswith(k) and line[len(k):].lstrip().startswith(b":"):
                found.add(n)
    return found


def changed_old_lines(old: Path, new: Path, tmp: Path) -> tuple[int, list[int]]:
    """(count, old line numbers) of the old lines the new file does not keep, as defined above."""
    a, b = old.read_bytes(), new.read_bytes()
    extra = 0
    if a and a.endswith(b"\n") != b.endswith(b"\n"):
        extra = 1
    # A missing final newline is counted above; give both a terminator (the file's own line
    # ending) so that diff compares the last line as a line.
    def terminated(t: bytes) -> bytes:
        if not t or t.endswith(b"\n"):
            return t
        crlf = b"\r\n" in t and b"\n" not in t.replace(b"\r\n", b"")
        return t + (b"\r\n" if crlf else b"\n")

    na, nb = tmp / "a", tmp / "b"
    na.write_bytes(terminated(a))
    nb.write_bytes(terminated(b))
    r = subprocess.run(
        ["diff", "--unchanged-line-format=", "--new-line-format=", "--old-line-format=%dn\n", str(na), str(nb)],
        capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"diff failed: {r.stderr}")
    allowed = key_lines(a)
    lines = [int(x) for x in r.stdout.split() if int(x) not in allowed]
    return len(lines) + extra, lines


def timed_run(cmd: list[str], tmp: Path, env=None) -> tuple[bool, float, int, str]:
    """(ok, seconds, max RSS in KiB, stderr) of one run under /usr/bin/time."""
    stats = tmp / "time.txt"
    if Path("/usr/bin/time").exists():
        full = ["/usr/bin/time", "-f", "%e %M", "-o", str(stats), *cmd]
    else:
        full = cmd
    t0 = time.perf_counter()
    r = subprocess.run(full, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    rss = 0
    if stats.exists():
        parts = stats.read_text().split()
        rss = int(parts[-1]) if parts and parts[-1].isdigit() else 0
        stats.unlink()
    return r.returncode == 0, secs, rss, r.stderr.strip()


def fidelity(tools: Tools, files: list[tuple[str, Path]], work: Path) -> tuple[dict, dict]:
    """{file: {tool: count or 'error: ...'}}, {file: {tool: (secs, rss)}}; diffs under work/diffs."""
    diffs = work / "diffs"
    shutil.rmtree(diffs, ignore_errors=True)
    diffs.mkdir(parents=True)
    table: dict[str, dict[str, object]] = {}
    runs: dict[str, dict[str, tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name, path in files:
            table[name] = {}
            runs[name] = {}
            every = list(tools.commands.items()) + [("fioreg editor", tools.editor)]
            for tool, cmd in every:
                out = tmp / "factory-config.yml"
                out.unlink(missing_ok=True)
                if tool == "fioreg":
                    shutil.copyfile(path, out)  # the content only: some inputs are read-only
                    out.chmod(0o644)
                ok, secs, rss, err = timed_run(cmd(path, out), tmp, tools.env)
                runs[name][tool] = (secs, rss)
                if tool == "fioreg" and not ok:
                    first = [l for l in err.splitlines() if l.startswith("fioreg: error: ")] or err.splitlines() or ["?"]
                    last = first[0].removeprefix("fioreg: error: ").replace(str(out), "FILE")
                    table[name][tool] = "refused: " + last[:90] + ("…" if len(last) > 90 else "")
                    print(f"  {name:45} {tool:12} refused: {last[:200]}", file=sys.stderr)
                    continue
                if not ok or not out.exists():
                    table[name][tool] = "error: " + (err.splitlines()[-1] if err else "no output")[:120]
                    print(f"  {name:45} {tool:12} ERROR {err[-300:]}", file=sys.stderr)
                    continue
                count, lines = changed_old_lines(path, out, tmp)
                table[name][tool] = count
                print(f"  {name:45} {tool:12} {count:6} lines changed  ({secs:.2f} s)", file=sys.stderr)
                if count:
                    safe = name.replace("/", "_")
                    d = subprocess.run(["diff", "-u", str(path), str(out)], capture_output=True)
                    (diffs / f"{tool.split()[0]}--{safe}.diff").write_bytes(d.stdout)
    return table, runs


# --- speed ----------------------------------------------------------------------------------

def median_ms_hyperfine(cmds: dict[str, list[str]], runs: int, warmup: int, tmp: Path, env=None,
                        prepare: dict[str, list[str]] | None = None) -> dict[str, tuple[float, float]]:
    """{name: (median wall ms, median user+system CPU ms)}; `prepare` runs before each run, untimed."""
    export = tmp / "hf.json"
    names = list(cmds)
    argv = [shutil.which("hyperfine") or "hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
            "--export-json", str(export)]
    if prepare:
        for n in names:
            argv += ["--prepare", subprocess.list2cmdline(prepare[n])]
    for n in names:
        argv += ["--command-name", n, subprocess.list2cmdline(cmds[n])]
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    data = json.loads(export.read_text())
    out = {}
    for n, r in zip(names, data["results"]):
        cpu = [u + s for u, s in zip(r.get("user_times") or [], r.get("system_times") or [])]
        cpu_ms = statistics.median(cpu) * 1000 if cpu else (r["user"] + r["system"]) * 1000
        out[n] = (r["median"] * 1000, cpu_ms)
    return out


def median_ms_loop(cmds: dict[str, list[str]], runs: int, warmup: int, env=None,
                   prepare: dict[str, list[str]] | None = None) -> dict[str, tuple[float, float]]:
    out = {}
    for n, cmd in cmds.items():
        samples, cpus = [], []
        for i in range(warmup + runs):
            if prepare:
                subprocess.run(prepare[n], check=True)
            before = os.times()
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
            if i >= warmup:
                after = os.times()
                samples.append(time.perf_counter() - t0)
                cpus.append((after.children_user - before.children_user)
                            + (after.children_system - before.children_system))
        out[n] = (statistics.median(samples) * 1000, statistics.median(cpus) * 1000)
    return out


def median_ms(cmds, runs, warmup, tmp, env=None, prepare=None):
    if shutil.which("hyperfine"):
        return median_ms_hyperfine(cmds, runs, warmup, tmp, env, prepare), "hyperfine -N"
    return median_ms_loop(cmds, runs, warmup, env, prepare), "a Python timing loop"


# --- report ---------------------------------------------------------------------------------

def version(cmd: list[str]) -> str:
    try:
        r = sh(cmd)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except Exception:  # noqa: BLE001 - a missing tool just shows as unknown
        return "unknown"


def fmt_ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--ruamel-python", required=True)
    ap.add_argument("--node-script", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--target-dir", default="target")
    ap.add_argument("--skip-tui", action="store_true",
                    help="keep the wizard's figures of the previous run (the pty harness needs a release test build)")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    root = Path.cwd()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    tools = Tools(args, root, work)
    misses: list[str] = []

    files = inputs(root, Path(args.corpus), work, notes)
    print("fidelity:", file=sys.stderr)
    fid, single = fidelity(tools, files, work)
    for name, row in fid.items():
        for tool in ("fioreg", "fioreg editor"):
            v = row[tool]
            if isinstance(v, str) and tool == "fioreg" and v.startswith("refused") and "aws" in v:
                continue  # the file already has an aws entry: refusing a second is right
            if v != 0:
                misses.append(f"{tool} changed lines outside the edit of {name}: {v} "
                              f"(see {work}/diffs/)")

    print("speed:", file=sys.stderr)
    load = os.getloadavg()
    gen = {name: work / "inputs" / name for name, _, _ in GENERATED}
    speed: dict[str, dict[str, float]] = {}
    method = ""
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name in ["gen-10k.yml", "gen-1m.yml", "gen-10m.yml"]:
            outs = {tool: tmp / f"out-{i}" / "factory-config.yml" for i, tool in enumerate(tools.commands)}
            for o in outs.values():
                o.parent.mkdir(exist_ok=True)
            cmds = {tool: c(gen[name], outs[tool]) for tool, c in tools.commands.items()}
            prepare = {tool: Tools.prepare(tool, gen[name], outs[tool]) for tool in tools.commands}
            if name == "gen-10m.yml":
                # ruamel.yaml and node need minutes per run here: their one run from the fidelity
                # pass is shown instead.
                cmds = {"fioreg": cmds["fioreg"]}
            speed[name], method = median_ms(cmds, args.runs, 1, tmp, tools.env, prepare)
            print(f"  {name}: " + ", ".join(f"{k} {fmt_ms(v[0])} (cpu {fmt_ms(v[1])})" for k, v in speed[name].items()),
                  file=sys.stderr)
        env = dict(os.environ, PATH="/nonexistent")
        startup_cmds = {
            "fioreg --version": [str(tools.fioreg), "--version"],
            "fioreg list --config assets/example/factory-config.yml":
                [str(tools.fioreg), "list", "--config", str(root / "assets/example/factory-config.yml")],
        }
        startup = {k: v[0] for k, v in median_ms(startup_cmds, max(args.runs, 50), 5, tmp, env)[0].items()}
        print("  start-up: " + ", ".join(f"{k} {fmt_ms(v)}" for k, v in startup.items()), file=sys.stderr)

        # Peak memory of the real binary on the 10 MB file: a dry run of `add` (parse, plan, diff).
        big = tmp / "big"
        big.mkdir()
        shutil.copy(gen["gen-10m.yml"], big / "factory-config.yml")
        ok, secs, dry_rss, err = timed_run(
            [str(tools.fioreg), "--config", str(big / "factory-config.yml"), "--dry-run", "add", "generic",
             "--url", "registry.example.com", "--username", "ci"], tmp)
        if not ok:
            notes.append(f"`fioreg --dry-run add generic` on gen-10m.yml failed: {err[-200:]}")

    r1 = speed["gen-1m.yml"]
    ratio_ruamel = r1["ruamel.yaml"][0] / r1["fioreg"][0]
    ratio_yaml = r1["yaml (node)"][0] / r1["fioreg"][0]
    cpu_ruamel = r1["ruamel.yaml"][1] / r1["fioreg"][1]
    cpu_yaml = r1["yaml (node)"][1] / r1["fioreg"][1]
    if ratio_ruamel < TARGET_RUAMEL:
        misses.append(f"the fioreg binary is only {ratio_ruamel:.1f}x faster than ruamel.yaml on 1 MB, wall time (target {TARGET_RUAMEL:g}x)")
    if ratio_yaml < TARGET_YAML:
        misses.append(f"the fioreg binary is only {ratio_yaml:.1f}x faster than node yaml on 1 MB, wall time (target {TARGET_YAML:g}x)")
    size = tools.fioreg.stat().st_size
    for k, v in startup.items():
        if v >= TARGET_STARTUP_MS:
            misses.append(f"`{k}` takes {fmt_ms(v)} (target < {TARGET_STARTUP_MS:g} ms)")

    # --- the markdown ---
    tool_names = list(tools.commands)
    fid_names = tool_names + ["fioreg editor"]
    L: list[str] = []
    L += ["# Benchmarks", "",
          "Generated by `bash scripts/bench.sh` (which installs what it needs, builds the release",
          "binary and `examples/edit.rs`, and rewrites this file). `cargo test` never runs it.", "",
          "Each tool makes the same edit: append one aws entry to `container_registries:` (creating the",
          "key when absent). **fioreg** is the release binary, the whole command a user runs:",
          "`fioreg --config FILE --factory acme --fioctl tests/support/fioctl --yes --no-verify add aws",
          f"--url {AWS_URL} --profile ci-pull` (strict parse, every check, the plan and its diff",
          "printed, the secret handed to the fioctl stand-in, the file written atomically with fsync,",
          "the settings recorded), on a fresh copy of the input before each run (the copy is not timed).",
          "ruamel.yaml runs in round-trip mode (`scripts/bench/ruamel_edit.py`), the npm `yaml`",
          "package with its Document API (`scripts/bench/yaml_edit.mjs`); both read IN and write OUT.",
          "**fioreg editor** (`examples/edit.rs`: `FactoryConfig::load` + `edit`, nothing else) is",
          "shown for fidelity only, on the files where the command rightly refuses a second aws entry.", "",
          f"Run {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.release()}; {version(['rustc', '--version'])}; "
          f"Python {version([args.ruamel_python, '--version']).split()[-1]}, "
          f"ruamel.yaml {version([args.ruamel_python, '-c', 'import ruamel.yaml; print(ruamel.yaml.__version__)'])}; "
          f"node {version([tools.node, '--version'])}, "
          f"yaml {json.loads((Path(args.node_script).parent / 'node_modules/yaml/package.json').read_text())['version']}; "
          f"timing with {method}; files in {work.resolve()}; load average before the timing {load[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f} (other work on the machine slows every tool, but widens the spread).", ""]
    L += ["## Targets", ""]
    L += ["| target | result | met |", "|---|---|---|"]
    bin_ok = all(r["fioreg"] == 0 or (isinstance(r["fioreg"], str) and r["fioreg"].startswith("refused") and "aws" in r["fioreg"])
                 for r in fid.values())
    ed_ok = all(r["fioreg editor"] == 0 for r in fid.values())
    applied = sum(1 for r in fid.values() if r["fioreg"] == 0)
    L.append(f"| the fioreg binary loses 0 lines outside the edit | 0 on all {applied} files it edits "
             f"(it refuses {len(fid) - applied} that already hold an aws entry) | {'yes' if bin_ok else '**NO**'} |"
             if bin_ok else "| the fioreg binary loses 0 lines outside the edit | NOT 0: see below | **NO** |")
    L.append(f"| fioreg's editor loses 0 lines outside the edit, every file | "
             f"{'0 on all ' + str(len(fid)) + ' files' if ed_ok else 'NOT 0: see below'} | {'yes' if ed_ok else '**NO**'} |")
    L.append(f"| fioreg binary ≥ {TARGET_RUAMEL:g}x faster than ruamel.yaml, 1 MB, whole process (wall) | {ratio_ruamel:.1f}x "
             f"(CPU time: {cpu_ruamel:.1f}x) | {'yes' if ratio_ruamel >= TARGET_RUAMEL else '**NO**'} |")
    L.append(f"| fioreg binary ≥ {TARGET_YAML:g}x faster than node yaml, 1 MB, whole process (wall) | {ratio_yaml:.1f}x "
             f"(CPU time: {cpu_yaml:.1f}x) | {'yes' if ratio_yaml >= TARGET_YAML else '**NO**'} |")
    for k, v in startup.items():
        L.append(f"| `{k}` < {TARGET_STARTUP_MS:g} ms (median) | {fmt_ms(v)} | {'yes' if v < TARGET_STARTUP_MS else '**NO**'} |")
    L += ["", f"Release binary (`[profile.release]`: lto, codegen-units = 1, strip): "
          f"{size / 1e6:.1f} MB ({size} bytes).", ""]

    L += ["## Speed", "",
          f"Whole-process wall time, median of {args.runs} runs (1 warm-up), all tools of a row measured",
          "in the same invocation; in brackets: how many times slower than the fioreg binary; under it,",
          "the median CPU time (user + system) of the same runs, which other work on the machine",
          "disturbs less. On the 10 MB file only fioreg is timed that way; the others show their one",
          "run of the fidelity pass.", ""]
    L += ["| file | size | " + " | ".join(tool_names) + " |", "|---|---|" + "---|" * len(tool_names)]
    for name in ["gen-10k.yml", "gen-1m.yml", "gen-10m.yml"]:
        row = speed[name]
        fsize = gen[name].stat().st_size
        cells = []
        for tool in tool_names:
            if tool in row:
                wall, cpu = row[tool]
                if tool == "fioreg":
                    cells.append(f"{fmt_ms(wall)}<br>CPU {fmt_ms(cpu)}")
                else:
                    cells.append(f"{fmt_ms(wall)} ({wall / row['fioreg'][0]:.1f}x)<br>"
                                 f"CPU {fmt_ms(cpu)} ({cpu / row['fioreg'][1]:.1f}x)")
            else:
                secs = single[name][tool][0]
                cells.append(f"{secs:.1f} s (one run, ~{secs * 1000 / row['fioreg'][0]:.0f}x)")
        L.append(f"| {name} | {fsize / 1e6:.2f} MB | " + " | ".join(cells) + " |")
    L += ["", "Start-up of the release binary (PATH without fioctl, median of "
          f"{max(args.runs, 50)} runs):", ""]
    L += ["| command | median |", "|---|---|"]
    for k, v in startup.items():
        L.append(f"| `{k}` | {fmt_ms(v)} |")
    L += [""]

    L += ["## Peak memory (gen-10m.yml, 10 MB)", "",
          "Maximum resident set size from `/usr/bin/time` (one run each).", ""]
    L += ["| program | max RSS |", "|---|---|"]
    L.append(f"| fioreg `--dry-run add generic` (parse, plan, diff) | {dry_rss / 1024:.0f} MiB |")
    labels = {"fioreg": "fioreg `add aws`, the whole command", "fioreg editor": "fioreg editor (examples/edit.rs) edit"}
    for tool in fid_names:
        L.append(f"| {labels.get(tool, tool + ' edit')} | {single['gen-10m.yml'][tool][1] / 1024:.0f} MiB |")
    L += [""]

    # The wizard, from the pty harness (an ignored test that only measures and prints).
    previous = Path(args.out).read_text() if Path(args.out).exists() else ""
    if args.skip_tui and "## The wizard (pty harness)" in previous:
        old = previous.split("## The wizard (pty harness)", 1)[1].split("\n## ", 1)[0]
        L += ["## The wizard (pty harness)", "",
              "Not measured again by this run (`--skip-tui`): the figures of the previous run.", ""]
        L += [l for l in old.strip("\n").splitlines()] + [""]
    tui = None if args.skip_tui else subprocess.run(
        ["cargo", "test", "--release", "--quiet", "--test", "tui_pty", "--", "--ignored",
         "--nocapture", "measure_first_frame_and_peak_memory"],
        cwd=root, capture_output=True, text=True)
    tui_lines = [] if tui is None else [l.strip() for l in tui.stdout.splitlines()
                                         if l.startswith(("first frame:", "keystroke to redraw:", "peak memory"))]
    if tui is not None:
        L += ["## The wizard (pty harness)", "",
              "From `cargo test --release --test tui_pty -- --ignored --nocapture measure` (a real pty,",
              "100x30; the harness polls the screen every 5 ms, which bounds the keystroke figure's",
              "resolution).", ""]
        L += [f"- {l}" for l in tui_lines] if tui_lines else [
            "- (the measurement run failed: " + (tui.stderr.strip().splitlines() or ["?"])[-1] + ")"]
        L += [""]

    L += ["## Fidelity", "",
          "Lines of the original file that did not survive unchanged and in order (deleted or changed",
          "old lines in GNU diff, line endings included; the `container_registries:` key line itself",
          "is allowed to change; +1 when the final newline appeared or vanished). An insertion-only",
          f"edit scores 0. Diffs of every nonzero cell: `{work}/diffs/`.", ""]
    L += ["| file | lines | " + " | ".join(fid_names) + " |", "|---|---|" + "---|" * len(fid_names)]
    for name, path in files:
        n = path.read_bytes().count(b"\n")
        cells = []
        for tool in fid_names:
            v = fid[name][tool]
            bad = tool.startswith("fioreg") and v != 0 and not (isinstance(v, str) and v.startswith("refused"))
            cells.append(f"**{v}**" if bad else str(v).replace("|", "\\|"))
        L.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    L += [""]
    if notes:
        L += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    if misses:
        L += ["## Missed", ""] + [f"- {m}" for m in misses] + [""]
    # Keep the sections other scripts write: `## fioreg scan` (scripts/bench-scan.sh) and the
    # several-factories block (scripts/bench-fleet.sh).
    old = Path(args.out).read_text() if Path(args.out).exists() else ""
    start = old.find("\n## fioreg scan\n")
    if start != -1:
        ends = [e for e in (old.find("\n## ", start + 1), old.find("\n<!-- fleet-bench:start", start + 1)) if e != -1]
        end = min(ends) if ends else -1
        L += [old[start + 1: end if end != -1 else len(old)].rstrip("\n"), ""]
    start, end = old.find("<!-- fleet-bench:start -->"), old.find("<!-- fleet-bench:end -->")
    if start != -1 and end > start:
        L += [old[start : end + len("<!-- fleet-bench:end -->")], ""]
    Path(args.out).write_text("\n".join(L))
    print(f"\nwrote {args.out}", file=sys.stderr)
    for m in misses:
        print(f"MISSED: {m}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
