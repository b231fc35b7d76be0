#!/usr/bin/env python3
"""The benchmark against the peers: seimon's whole processes beside the scripts of
../shared/bench/peers/ (Python Polars, DuckDB) on the same national data set, in one run.

    python3 benches/peers.py [--enterprises N] [--runs K] [--period 2025Q3] [--reference BIN]

It generates the data set with `seimon generate` (N enterprises a year, 2020Q1-2025Q4, over the
national region list), loads it with `seimon ingest` (timed, peak memory), then runs, alternating
and K times each: `seimon recompute --period P` (everything: measures, disclosure control, risk,
the report set, PDFs, e-mails written as files) and the peers' one-quarter scripts; prints the
medians and the peak memory of each, and the ratio of seimon's time to the Python Polars
script's. Their values are checked against seimon's indicators.csv (compare.py). With
`--reference BIN` (another seimon binary, e.g. the previous release) that binary recomputes the
same quarter in a store of its own and every value of indicators.csv is compared, 1e-12
relative. With `--history`, the history row too: `seimon recompute --all` (every quarter in one
pass, each quarter's folder written, nothing sent) beside polars_hist.py (every quarter's
enterprise measures), each run once, their values compared on two quarters, and the pass's
`indicators.csv` of P against the single recompute's, byte for byte. `bash benches/run peers`
runs it on the release build.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "bench", "peers")
REGIONS = os.path.join(ROOT, "..", "shared", "data", "regions-gbt2260.csv")


def timed(cmd, cwd, env=None):
    """Runs a command; returns (seconds, peak resident MiB), failing loudly."""
    started = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    peak_kib = int(out.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def compare_indicators(a, b, tolerance):
    """Every row of two indicators.csv files: the same keys, values within `tolerance` relative."""
    def rows(path):
        with open(path, newline="") as f:
            return {tuple(r[:5]): float(r[5]) for r in csv.reader(f) if r[0] != "period"}
    x, y = rows(a), rows(b)
    missing, extra = set(x) - set(y), set(y) - set(x)
    worst, bad = 0.0, 0
    for k in set(x) & set(y):
        d = abs(x[k] - y[k]) / max(1.0, abs(x[k]))
        worst = max(worst, d)
        bad += d > tolerance
    return len(x), len(missing), len(extra), bad, worst


def history(seimon, data, work, env, period):
    """The history row: every quarter in one pass beside the Python Polars history script."""
    single = os.path.join(work, f"single-{period}.csv")
    shutil.copyfile(os.path.join(data, "reports", period, "indicators.csv"), single)
    pass_s, pass_mib = timed([seimon, "--config", "seimon.toml", "recompute", "--all"], data, env)
    hist = os.path.join(work, "polars_hist.csv")
    peer_s, peer_mib = timed([sys.executable, os.path.join(PEERS, "polars_hist.py"), data, hist], work)
    quarters = sorted(d for d in os.listdir(os.path.join(data, "reports")) if len(d) == 6 and d[4] == "Q")
    print(f"{'seimon recompute --all (' + str(len(quarters)) + ' quarters, everything)':<48} {pass_s:8.2f} s {pass_mib:8.0f} MiB")
    print(f"{'Python Polars history script':<48} {peer_s:8.2f} s {peer_mib:8.0f} MiB")
    print(f"{'ratio seimon / Python Polars (history)':<48} {pass_s / peer_s:8.2f}")
    import polars as pl
    every = pl.read_csv(hist, infer_schema_length=0)
    for quarter in (quarters[4], period):
        part = os.path.join(work, f"hist-{quarter}.csv")
        every.filter(pl.col("period") == quarter).write_csv(part)
        indicators = os.path.join(data, "reports", quarter, "indicators.csv")
        out = subprocess.run([sys.executable, os.path.join(PEERS, "compare.py"), indicators, part],
                             capture_output=True, text=True, check=True)
        print(f"values of polars_hist.csv, {quarter:<25} {out.stdout.strip().splitlines()[-1]}")
    n, missing, extra, bad, worst = compare_indicators(single, os.path.join(data, "reports", period, "indicators.csv"), 1e-12)
    print(f"pass against the single recompute of {period}: {n} values, {missing} missing, {extra} extra, "
          f"{bad} beyond 1e-12, largest relative difference {worst:.1e}")


def revision(seimon, data, work, env, period, quarter_s):
    """A revised batch of one quarter (a tenth of its enterprises' output 1 % higher): its load
    (the partials of the quarter and the quarter a year later computed again) and the
    recompute of the quarters it changes — the quarter and those after it through a year
    later, as far as there are data — beside one quarter's recompute."""
    import polars as pl
    year = period[:4]
    revised = os.path.join(work, f"revised-{period}.parquet")
    (pl.read_parquet(os.path.join(data, f"enterprises-{year}.parquet"))
       .filter(pl.col("period") == period)
       .with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(pl.col("output_value") * 1.01)
                     .otherwise(pl.col("output_value")).alias("output_value"))
       .write_parquet(revised))
    load_s, load_mib = timed([seimon, "--config", "seimon.toml", "ingest", revised], data, env)
    quarters = sorted(d for d in os.listdir(os.path.join(data, "reports")) if len(d) == 6 and d[4] == "Q")
    last = min(quarters[-1], f"{int(year) + 1}{period[4:]}")
    pass_s, pass_mib = timed([seimon, "--config", "seimon.toml", "recompute", "--from", period, "--to", last], data, env)
    affected = len([q for q in quarters if period <= q <= last])
    print(f"{'load a revised batch of ' + period:<48} {load_s:8.2f} s {load_mib:8.0f} MiB")
    print(f"{'recompute the ' + str(affected) + ' quarters it affects (' + period + '-' + last + ')':<48} {pass_s:8.2f} s {pass_mib:8.0f} MiB")
    print(f"{'  against one quarter recomputed':<48} {pass_s / quarter_s:8.2f} ×")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=500000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--period", default="2025Q3")
    ap.add_argument("--seimon", default=os.path.join(ROOT, "target", "release", "seimon"))
    ap.add_argument("--reference", help="another seimon binary whose indicators.csv must agree (1e-12)")
    ap.add_argument("--keep", help="a folder to generate into and keep (else a temporary one)")
    ap.add_argument("--history", action="store_true", help="also every quarter: recompute --all beside polars_hist.py")
    ap.add_argument("--revision", action="store_true",
                    help="also a revised batch of P: its load, then the recompute of the quarters it affects")
    args = ap.parse_args()
    seimon = os.path.abspath(args.seimon)
    for module in ("polars", "duckdb"):
        try:
            __import__(module)
        except ImportError:
            sys.exit(f"the peers need Python's {module}: pip install polars duckdb")
    work = args.keep or tempfile.mkdtemp(prefix="seimon-peers-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "national")
    try:
        print(f"seimon against its peers — national scale, {args.enterprises} enterprises a year, "
              f"{args.period}, {args.runs} runs each, alternating; {os.cpu_count()} cores")
        if not os.path.exists(os.path.join(data, "seimon.toml")):
            subprocess.run([seimon, "generate", "--regions", REGIONS, "--enterprises", str(args.enterprises),
                            "--dir", data], check=True, capture_output=True)
        files = ["class-mapping.csv"] + sorted(f for f in os.listdir(data) if f.startswith("enterprises-"))
        env = dict(os.environ, SEIMON_LOG__LEVEL="warn")
        store = os.path.join(data, "data")
        if not os.path.exists(store):
            load_s, load_mib = timed([seimon, "--config", "seimon.toml", "ingest"] + files, data, env)
            print(f"{'load the records, aggregates included':<48} {load_s:8.2f} s {load_mib:8.0f} MiB")
        recompute = [seimon, "--config", "seimon.toml", "recompute", "--period", args.period]
        timed(recompute, data, env)  # a first run: the file cache warm for everyone
        peers = {
            "seimon recompute (whole quarter, everything)": (recompute, data),
            "Python Polars script (enterprise measures)": (
                [sys.executable, os.path.join(PEERS, "polars_peer.py"), data, os.path.join(work, "polars.csv"), args.period], work),
            "DuckDB script (enterprise measures)": (
                [sys.executable, os.path.join(PEERS, "duckdb_peer.py"), data, os.path.join(work, "duckdb.csv"), args.period], work),
        }
        measured = {name: [] for name in peers}
        for _ in range(args.runs):
            for name, (cmd, cwd) in peers.items():
                measured[name].append(timed(cmd, cwd, env))
        medians = {}
        for name, runs in measured.items():
            medians[name] = statistics.median(s for s, _ in runs)
            print(f"{name:<48} {medians[name]:8.2f} s {max(m for _, m in runs):8.0f} MiB")
        names = list(peers)
        print(f"{'ratio seimon / Python Polars':<48} {medians[names[0]] / medians[names[1]]:8.2f}")
        indicators = os.path.join(data, "reports", args.period, "indicators.csv")
        for peer in ("polars.csv", "duckdb.csv"):
            out = subprocess.run([sys.executable, os.path.join(PEERS, "compare.py"), indicators, os.path.join(work, peer)],
                                 capture_output=True, text=True, check=True)
            print(f"values of {peer:<38} {out.stdout.strip().splitlines()[-1]}")
        if args.reference:
            ref = os.path.join(work, "reference")
            shutil.rmtree(ref, ignore_errors=True)
            os.makedirs(ref)
            for f in files + ["seimon.toml"] + [f for f in os.listdir(data) if f.endswith(".csv") and f not in files]:
                os.symlink(os.path.join(data, f), os.path.join(ref, f))
            subprocess.run([os.path.abspath(args.reference), "--config", "seimon.toml", "ingest"] + files,
                           cwd=ref, env=env, check=True, capture_output=True)
            subprocess.run([os.path.abspath(args.reference), "--config", "seimon.toml", "recompute", "--period", args.period],
                           cwd=ref, env=env, check=True, capture_output=True)
            n, missing, extra, bad, worst = compare_indicators(
                os.path.join(ref, "reports", args.period, "indicators.csv"), indicators, 1e-12)
            print(f"against {args.reference}: {n} values, {missing} missing, {extra} extra, "
                  f"{bad} beyond 1e-12, largest relative difference {worst:.1e}")
        if args.history:
            history(seimon, data, work, env, args.period)
        if args.revision:
            revision(seimon, data, work, env, args.period, medians[names[0]])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
