"""The results as JSON and as a Markdown table, and the README's copy of that table."""

import json
from pathlib import Path

BEGIN = "<!-- bench:begin (scripts/bench --update-readme writes this table) -->"
END = "<!-- bench:end -->"


def ms(v):
    return "–" if v is None else f"{v:.2f} ms"


def markdown(r):
    m, c = r["machine"], r["config"]
    commit = m["commit"] + (" with uncommitted changes" if m["dirty"] else "")
    lines = [
        f"Commit {commit}, {m['date']}; {m['nproc']} × {m['cpu']}, Linux {m['kernel']}, "
        f"load average {m['loadavg_before']:.2f} at start; {m['rustc']}; {m['oha']}; "
        f"target: {r['target']}; {r['seed']['profiles']:,} profiles seeded over HTTP in "
        f"{r['seed']['seconds']['profiles']:.1f} s. Each case: {c['duration']:g} s as fast as "
        f"{c['connections']} connections go (peak req/s), then {c['duration']:g} s at a fixed "
        f"rate of half that peak (p50/p95/p99); errors at peak / at half"
        f"{' — a quick run' if c['quick'] else ''}.",
        "",
        "| case | peak req/s | p50 | p95 | p99 | errors | method |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for case in r["cases"]:
        if case.get("unavailable") or case.get("failed"):
            why = case.get("unavailable") or case["failed"]
            state = "not available" if case.get("unavailable") else "failed"
            lines.append(f"| {case['title']} | {state} | | | | | {why} |")
            continue
        peak, half = case["peak"], case["half"] or {}
        method = case["method"]
        if "stored_versions" in case:
            share = case["stored_versions"] / max(1, case["pushes_2xx"])
            method += f"; {share * 100:.1f} % of the pushes stored a new version"
        lines.append(
            f"| {case['title']} | {peak['rps']:,.0f} | {ms(half.get('p50_ms'))} | "
            f"{ms(half.get('p95_ms'))} | {ms(half.get('p99_ms'))} | "
            f"{peak['errors']} / {half.get('errors', '–')} | {method} |")
    cold, mem = r.get("cold_start"), r.get("memory")
    if cold:
        lines += ["", f"Cold start (process start to the first 200 on `/health`, fresh state "
                      f"directory): {cold['with_cache_ms']:,.0f} ms with the compile cache (median "
                      f"of {len(cold['with_cache_runs_ms'])}), {cold['without_cache_ms']:,.0f} ms "
                      "without."]
    if mem:
        lines += ["", f"Peak RSS of the server after the load (VmHWM): {mem['VmHWM'] / 1024:,.0f} MiB."]
    return "\n".join(lines) + "\n"


def write(r, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(r, indent=2) + "\n")
    md = markdown(r)
    (out_dir / "latest.md").write_text(md)
    return md


def update_readme(readme, md):
    text = Path(readme).read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} lacks the markers {BEGIN!r} and {END!r}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    Path(readme).write_text(f"{head}{BEGIN}\n{md}{END}{tail}")
