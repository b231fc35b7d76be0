#!/usr/bin/env python3
"""The hostile probe: seimon's release binary tried as a hostile user would.

On the demo store, with a real SMTP server on 127.0.0.1 (this file's, whose answers the
probe switches between accepting, slow, 421, 451, 550 and silent), it runs:

  files      60 bad files through `seimon ingest`: exit code, time, first line of the
             message; the store's data must be unchanged after each
  big        a 214 MB, 2.3 M-row observations CSV loaded: time and peak memory
  kills      36 `kill -9` at random moments (12 in a recompute that sends, 12 in an
             ingest, 12 in a daemon taking inbox files and API requests); after each the
             store must be intact, no staging folder or `running` run left, a file loaded
             whole or not at all; in the end every message received once, but for at most
             one per kill during a send (the documented window)
  smtp       the outbox against servers answering 421, 451, 550 or nothing
  senders    two `outbox send` 0.5 s apart, and an API run with "send": true beside a CLI
             `outbox send`, against a slow server: each message received once
  api        200 concurrent slow requests: /healthz latency meanwhile, status codes, peak
             memory; six unauthenticated 200 MB uploads; SIGTERM with requests in flight

  python3 benches/hostile.py target/release/seimon [phase ...]

Prints each phase's figures and ends with the list of what did not hold (exit 1 if any).
"""

import concurrent.futures as cf
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/seimon")
PHASES = sys.argv[2:] or ["files", "big", "kills", "smtp", "senders", "api"]
TOKEN = "probe-token-4f1c"
PASSWORD = "probe-smtp-secret-91b7"
PERIOD = "2026Q3"
FAILED = []
rng = random.Random(20261202)


def fail(what):
    FAILED.append(what)
    print(f"  ** DID NOT HOLD: {what}", flush=True)


# --------------------------------------------------------------------------- SMTP server


class Smtp:
    """An SMTP server on 127.0.0.1 whose behaviour is switched by `mode`: ok, slow
    (`delay` seconds before accepting each message), 421 (refuses the connection), 451
    (refuses each message temporarily), 550 (refuses each recipient), silent (never greets)."""

    def __init__(self):
        self.mode, self.delay = "ok", 0.0
        self.received = []  # (message-id, recipient)
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        mode, delay = self.mode, self.delay
        f = conn.makefile("rb")
        send = lambda s: conn.sendall(s.encode() + b"\r\n")
        try:
            if mode == "silent":
                while conn.recv(4096):
                    pass
                return
            if mode == "421":
                send("421 4.3.2 service not available, closing")
                return
            send("220 probe ESMTP")
            rcpts = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode(errors="replace").strip()
                up = cmd.upper()
                if up.startswith(("EHLO", "HELO")):
                    send("250-probe\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN")
                elif up.startswith("AUTH"):
                    send("235 2.7.0 ok")
                elif up.startswith("MAIL"):
                    rcpts = []
                    send("250 ok")
                elif up.startswith("RCPT"):
                    if mode == "550":
                        send("550 5.1.1 no such user")
                    else:
                        rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                        send("250 ok")
                elif up == "DATA":
                    send("354 go on")
                    data = b""
                    while not data.endswith(b"\r\n.\r\n"):
                        chunk = f.readline()
                        if not chunk:
                            return
                        data += chunk
                    time.sleep(delay if mode == "slow" else 0)
                    if mode == "451":
                        send("451 4.3.0 try again later")
                        continue
                    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
                    m = re.search(r"(?im)^message-id:\s*(\S+)", head)
                    with self.lock:
                        for r in rcpts:
                            self.received.append(((m.group(1) if m else "?"), r))
                    send("250 2.0.0 queued")
                elif up == "QUIT":
                    send("221 bye")
                    return
                else:  # RSET, NOOP
                    send("250 ok")
        except OSError:
            pass
        finally:
            conn.close()

    def duplicates(self):
        with self.lock:
            seen = {}
            for k in self.received:
                seen[k] = seen.get(k, 0) + 1
        return sum(n - 1 for n in seen.values() if n > 1), len(seen)


# --------------------------------------------------------------------------- the store


CONFIG = """
[paths]
data = "data"
reports = "reports"
inbox = "inbox"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
username = "probe"
from = "产业监测 <monitor@example.org>"
timeout_secs = 3
retry_base_secs = 1
max_attempts = 3

[api]
listen = "127.0.0.1:0"

[[subscriptions]]
audience = "province"
to = ["leader1@example.org", "leader2@example.org"]

[[subscriptions]]
audience = "city:340100"
to = ["hefei@example.org"]

[[subscriptions]]
audience = "city:340200"
to = ["wuhu@example.org"]

[[subscriptions]]
audience = "industry:NGIT"
to = ["ngit@example.org"]
"""


def env(**extra):
    e = dict(os.environ, SEIMON_SMTP__PASSWORD=PASSWORD, SEIMON_API__TOKEN=TOKEN,
             SEIMON_LOG__LEVEL="warn")
    e.pop("RUST_LOG", None)
    e.update(extra)
    return e


def run(d, *args, timeout=600, **kw):
    t = time.monotonic()
    p = subprocess.run([BIN, "--config", "seimon.toml", *args], cwd=d, env=env(),
                       capture_output=True, timeout=timeout, **kw)
    return p, time.monotonic() - t


def spawn(d, *args):
    """A command in the background, its output appended to `spawn.log` (a pipe nobody reads
    would block it)."""
    log = open(os.path.join(d, "spawn.log"), "ab")
    return subprocess.Popen([BIN, "--config", "seimon.toml", *args], cwd=d, env=env(), stdout=log, stderr=log)


def fingerprint(d):
    """What a rejected file must not change: the stored data and the ledger of accepted files."""
    con = sqlite3.connect(f"file:{d}/data/seimon.db?mode=ro", uri=True, timeout=30)
    q = lambda s: con.execute(s).fetchone()
    fp = (q("select count(*), total(value), total(yoy_pct) from observations"),
          q("select count(*) from projects"), q("select count(*) from targets"),
          q("select count(*) from class_mapping"),
          q("select count(*), total(rows) from enterprise_batches"),
          q("select count(*) from files where status = 'accepted'"))
    con.close()
    return fp


def sql(d, s):
    con = sqlite3.connect(f"file:{d}/data/seimon.db?mode=ro", uri=True, timeout=30)
    r = con.execute(s).fetchall()
    con.close()
    return r


def secrets_leaked(*roots):
    """Paths under `roots` (logs, reports, e-mails, the store) that contain a secret in clear."""
    hits = []
    for root in roots:
        for base, _, files in os.walk(root):
            for name in files:
                p = os.path.join(base, name)
                try:
                    with open(p, "rb") as fh:
                        b = fh.read()
                except OSError:
                    continue
                if PASSWORD.encode() in b or TOKEN.encode() in b:
                    hits.append(p)
    return hits


def demo_store(smtp):
    root = tempfile.mkdtemp(prefix="seimon-hostile-")
    d = os.path.join(root, "base")
    os.makedirs(d)
    with open(os.path.join(d, "seimon.toml"), "w") as fh:
        fh.write(CONFIG.format(port=smtp.port))
    p, took = run(d, "demo", "--dir", ".", "--through", PERIOD)
    if p.returncode != 0:
        sys.exit(f"the demo failed: {p.stderr.decode()}")
    print(f"demo store built in {took:.1f} s", flush=True)
    return root, d


def copy_store(root, base, name):
    d = os.path.join(root, name)
    shutil.copytree(base, d, symlinks=True)
    return d


def peak_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# --------------------------------------------------------------------------- bad files


HEAD = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date"
GOOD_ROW = "2026Q3,340100,NGIT,operating_income,120.5,亿元,8.1,2026-10-20"


def xlsx(cells, extra_parts=None, sheet_xml=None):
    """A minimal workbook whose sheet holds `cells` [(ref, text)] — or `sheet_xml` as given."""
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '</Relationships>')
        if sheet_xml is None:
            rows = {}
            for ref, text in cells:
                r = int(re.sub(r"[A-Z]", "", ref))
                rows.setdefault(r, []).append(
                    f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
            body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
            sheet_xml = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         f'<sheetData>{body}</sheetData></worksheet>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra_parts or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def header_cells(row=1):
    return [(f"{chr(65 + i)}{row}", h) for i, h in enumerate(HEAD.split(","))]


def bad_files(demo_input):
    """60 files a hostile or careless user could hand over: (name, bytes)."""
    f = []
    csv = lambda *rows: ("\n".join((HEAD,) + rows) + "\n").encode()
    # spreadsheets
    f.append(("bomb-xfd.xlsx", xlsx(header_cells() + [("XFD1048576", "x")])))
    f.append(("bomb-az.xlsx", xlsx(header_cells() + [("AZ1048576", "x")])))
    f.append(("bomb-zero-part.xlsx", xlsx(header_cells(), {"xl/media/zero.bin": b"\0" * (300 << 20)})))
    wide = "".join(f'<c r="{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}1" t="inlineStr"><is><t>c{i}</t></is></c>' for i in range(600))
    f.append(("wide-2000-cols.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1">' + wide + "".join(f'<c r="Z{c}1"><v>1</v></c>' for c in "") + '</row></sheetData></worksheet>'))))
    f.append(("dimension-lies.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>period</t></is></c></row></sheetData></worksheet>'))))
    f.append(("truncated.xlsx", xlsx(header_cells())[:700]))
    f.append(("not-a-zip.xlsx", b"PK\x03\x04" + os.urandom(2000)))
    f.append(("empty.xlsx", b""))
    f.append(("broken-xml.xlsx", xlsx([], sheet_xml="<worksheet><sheetData><row r='1'><c r='A1'")))
    f.append(("shared-strings-missing.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>99999999</v></c></row></sheetData></worksheet>'))))
    f.append(("row-zero.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="0"><c r="A0" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'))))
    f.append(("huge-row-number.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="4294967296"><c r="A4294967296"><v>1</v></c></row></sheetData></worksheet>'))))
    f.append(("xml-entities.xlsx", xlsx([], sheet_xml=(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'))))
    f.append(("xlsx-overflow.xlsx", xlsx(header_cells() + [
        (f"{chr(65 + i)}2", v) for i, v in enumerate(GOOD_ROW.split(","))][:4] + [("E2", "1e308"), ("F2", "万亿元"), ("H2", "2026-10-20")])))
    # CSV text
    f.append(("empty.csv", b""))
    f.append(("header-only.csv", (HEAD + "\n").encode()))
    f.append(("unbalanced-quote.csv", csv(GOOD_ROW, '2026Q3,340200,NGIT,operating_income,"80,亿元,5,2026-10-20',
                                          GOOD_ROW.replace("340100", "340300"))))
    f.append(("overflow-1e308.csv", csv(GOOD_ROW.replace("120.5,亿元", "1e308,万亿元"))))
    f.append(("over-1e12.csv", csv(GOOD_ROW.replace("120.5", "2000000000000"))))
    f.append(("inf.csv", csv(GOOD_ROW.replace("120.5", "inf"))))
    f.append(("nan.csv", csv(GOOD_ROW.replace("120.5", "NaN"))))
    f.append(("growth-1e9.csv", csv(GOOD_ROW.replace("8.1", "1e9"))))
    f.append(("period-2199.csv", csv(GOOD_ROW.replace("2026Q3", "2199Q4"))))
    f.append(("release-2199.csv", csv(GOOD_ROW.replace("2026-10-20", "2199-10-20"))))
    f.append(("period-q5.csv", csv(GOOD_ROW.replace("2026Q3", "2026Q5"))))
    f.append(("date-feb30.csv", csv(GOOD_ROW.replace("2026-10-20", "2026-02-30"))))
    f.append(("unknown-region.csv", csv(GOOD_ROW.replace("340100", "999999"))))
    f.append(("unknown-industry.csv", csv(GOOD_ROW.replace("NGIT", "FOO"))))
    f.append(("unknown-unit.csv", csv(GOOD_ROW.replace("亿元", "斤"))))
    f.append(("negative-count.csv", csv("2026Q3,340100,NGIT,enterprises,-5,个,,2026-10-20")))
    f.append(("duplicate-rows.csv", csv(GOOD_ROW, GOOD_ROW)))
    f.append(("missing-column.csv", b"period,region_code,value\n2026Q3,340100,1\n"))
    f.append(("extra-columns-1500.csv", (HEAD + "," + ",".join(f"x{i}" for i in range(1500)) + "\n"
                                          + GOOD_ROW + "," * 1500 + "\n").encode()))
    f.append(("short-row.csv", csv("2026Q3,340100,NGIT")))
    f.append(("long-row.csv", csv(GOOD_ROW + ",a,b,c,d")))
    f.append(("nul-bytes.csv", csv(GOOD_ROW).replace(b"NGIT", b"NG\0IT")))
    f.append(("binary-junk.csv", os.urandom(50_000)))
    f.append(("png-as-csv.csv", b"\x89PNG\r\n\x1a\n" + os.urandom(4000)))
    f.append(("gbk-mislabelled.csv", csv(GOOD_ROW).decode().encode("gbk")[:-3] + b"\xff\xfe\n"))
    f.append(("utf16.csv", ("\ufeff" + HEAD + "\n" + GOOD_ROW + "\n").encode("utf-16-le")))
    f.append(("one-line-50mb.csv", (HEAD + "\n").encode() + b"2026Q3," + b"x" * (50 << 20) + b"\n"))
    f.append(("value-text.csv", csv(GOOD_ROW.replace("120.5", "一百二十"))))
    f.append(("value-hex.csv", csv(GOOD_ROW.replace("120.5", "0x7fffffff"))))
    f.append(("value-1e-400.csv", csv(GOOD_ROW.replace("120.5", "1e-400"))))
    f.append(("formula-injection.csv", csv(GOOD_ROW.replace("NGIT,operating_income,120.5", "NGIT,operating_income,=1+1"))))
    f.append(("both-empty.csv", csv(GOOD_ROW.replace("120.5", "").replace("8.1", ""))))
    f.append(("crlf-mixed-quote.csv", (HEAD + "\r\n" + GOOD_ROW + "\r\n\"2026Q3\r\n").encode()))
    f.append(("semicolon.csv", csv(GOOD_ROW).replace(b",", b";")))
    # other kinds
    f.append(("projects-bad.csv", b"project_id,period,name,region_code,industry_code,total_investment\nP1,2026Q3,x,340100,NGIT,abc\n"))
    f.append(("mapping-bad.csv", b"catalogue,release_date,class_code,industry_code\nSEI,2026-01-01,99999,NGIT\n"))
    f.append(("parquet-junk.parquet", b"PAR1" + os.urandom(5000) + b"PAR1"))
    f.append(("parquet-footer-lies.parquet", b"PAR1" + b"\0" * 100 + struct.pack("<I", 0x7fffffff) + b"PAR1"))
    f.append(("parquet-empty.parquet", b""))
    # mutations of the demo's own files (bytes flipped at random: readers fed garbage)
    # a text file's characters swapped for others of its alphabet (rows still parse, values
    # and keys break); a Parquet file's bytes flipped (its reader fed garbage)
    csvs = sorted(n for n in os.listdir(demo_input) if n.endswith(".csv"))
    for i in range(3):
        name = csvs[i % len(csvs)]
        b = bytearray(open(os.path.join(demo_input, name), "rb").read())
        ascii = [k for k in range(len(b)) if b[k] < 0x80]
        for _ in range(40):
            b[rng.choice(ascii)] = ord(rng.choice(',"0123456789.-eQ\n'))
        f.append((f"mutated-{i}-{name}", bytes(b)))
    for i in range(4):
        b = bytearray(open(os.path.join(demo_input, "enterprises.parquet"), "rb").read())
        for _ in range(10 ** i):
            b[rng.randrange(len(b))] = rng.randrange(256)
        f.append((f"mutated-{3 + i}-enterprises.parquet", bytes(b)))
    return f[:60]


# Files that look bad and are loaded by design.
ACCEPTED = {
    "duplicate-rows.csv": "a row repeated exactly is one row",
    "extra-columns-1500.csv": "columns beyond the kind's are ignored, with one warning",
    "utf16.csv": "UTF-16 with its byte-order mark is decoded",
    "value-1e-400.csv": "1e-400 is 0 to every decimal a bureau publishes",
    # a flipped byte may land in a value and give another plausible value (Parquet pages
    # carry no checksum): loaded as what the file now says
}


def phase_files(root, base, smtp):
    print("\n== 60 bad files through `seimon ingest`", flush=True)
    d = copy_store(root, base, "files")
    bad = bad_files(os.path.join(d, "data", "demo-input"))
    os.makedirs(os.path.join(d, "bad"))
    before = fingerprint(d)
    codes, slow, peak = {}, [], 0
    for name, data in bad:
        path = os.path.join(d, "bad", name)
        with open(path, "wb") as fh:
            fh.write(data)
        with open(path + ".out", "w+b") as o, open(path + ".err", "w+b") as e:
            p = subprocess.Popen([BIN, "--config", "seimon.toml", "ingest", path], cwd=d, env=env(), stdout=o, stderr=e)
            t, hwm = time.monotonic(), 0
            while p.poll() is None:
                hwm = max(hwm, peak_kib(p.pid))
                time.sleep(0.02)
            o.seek(0), e.seek(0)
            out, err = o.read(), e.read()
        took = time.monotonic() - t
        peak = max(peak, hwm)
        codes[p.returncode] = codes.get(p.returncode, 0) + 1
        msg = (err.decode(errors="replace").strip().splitlines() or out.decode(errors="replace").splitlines() or [""])
        first = next((l.strip() for l in msg if l.startswith(("  row", "  file", "  warning"))), msg[-1])
        print(f"  {name[:34]:34} exit {p.returncode:>3} {took:5.2f} s {hwm / 1024:6.0f} MiB {len(err) + len(out):>7} B  {first[:80]}", flush=True)
        if len(err) + len(out) > 64 << 10:
            fail(f"{name}: a message of {len(err) + len(out)} bytes")
        if p.returncode not in (0, 1):
            fail(f"{name}: exit {p.returncode}")
        if took > 30:
            slow.append(name)
        if p.returncode == 0 and name not in ACCEPTED and not name.startswith("mutated"):
            fail(f"{name} was accepted")
        after = fingerprint(d)
        if after != before and p.returncode != 0:
            fail(f"{name}: rejected but the store changed")
        before = after
    print(f"  exit codes {codes}; slowest > 30 s: {slow or 'none'}; peak {peak / 1024:.0f} MiB")
    q = os.listdir(os.path.join(d, "data", "quarantine")) if os.path.isdir(os.path.join(d, "data", "quarantine")) else []
    print(f"  quarantine copies: {len(q)}")


# --------------------------------------------------------------------------- the 214 MB CSV


def phase_big(root, base, smtp):
    print("\n== a large observations CSV", flush=True)
    d = copy_store(root, base, "big")
    path = os.path.join(d, "big.csv")
    n = big_csv_rows(d, path)
    size = os.path.getsize(path)
    p = spawn(d, "ingest", path)
    t, hwm = time.monotonic(), 0
    while p.poll() is None:
        hwm = max(hwm, peak_kib(p.pid))
        time.sleep(0.05)
    p.wait()
    took = time.monotonic() - t
    err = open(os.path.join(d, "spawn.log"), "rb").read()
    print(f"  {size / 1e6:.0f} MB, {n:,} rows: exit {p.returncode} in {took:.1f} s, peak {hwm / 1024:.0f} MiB "
          f"({hwm * 1024 / size:.2f} × the file)")
    if p.returncode != 0:
        print("  " + err.decode(errors="replace")[:400])
    if hwm > 1024 * 1024:
        fail(f"loading {size / 1e6:.0f} MB took {hwm / 1024:.0f} MiB (> 1 GiB)")


def big_csv_rows(d, path):
    """2.3 M observation rows (214 MB): every region × industry × indicator of the Anhui
    catalogue, quarters from 1967 to 2025."""
    import tomllib
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "config", "catalogue", "anhui-2021.toml"), "rb") as fh:
        cat = tomllib.load(fh)
    regions = [r["code"] for r in cat["regions"]]
    industries = [i["code"] for i in cat["industries"]]
    indicators = [(k["code"], k["kind"]) for k in cat["indicators"]]
    n = 0
    with open(path, "w") as fh:
        fh.write(HEAD + ",source\n")
        for year in range(1967, 2026):
            for q in range(1, 5):
                rel = f"{year + 1}-01-20" if q == 4 else f"{year}-{q * 3 + 1:02d}-20"
                for r in regions:
                    for ind in industries:
                        for k, (name, kind) in enumerate(indicators):
                            g = f"{(n % 200) / 10 - 10:.1f}"
                            if kind == "count":
                                fh.write(f"{year}Q{q},{r},{ind},{name},{100 + n % 997},家,{g},{rel},省统计局季度快报\n")
                            else:
                                fh.write(f"{year}Q{q},{r},{ind},{name},{100000 + n % 99991 + k}.78,万元,{g},{rel},省统计局季度快报\n")
                            n += 1
    return n


# --------------------------------------------------------------------------- kill -9


def after_kill_checks(d, label):
    """Open the store with a command (which recovers it) and check what a crash may not leave."""
    p, _ = run(d, "outbox")
    if p.returncode != 0:
        fail(f"{label}: `seimon outbox` after the kill: exit {p.returncode}: {p.stderr.decode()[:200]}")
    ok = sql(d, "pragma integrity_check")[0][0]
    if ok != "ok":
        fail(f"{label}: integrity_check {ok}")
    running = sql(d, "select count(*) from runs where state in ('running', 'queued')")[0][0]
    if running:
        fail(f"{label}: {running} runs left running")
    staging = os.path.join(d, "reports", ".staging")
    if os.path.isdir(staging) and os.listdir(staging):
        fail(f"{label}: staging left: {os.listdir(staging)}")
    # every run folder in place (`<period>/`, `<period>.<run id>/`) is whole: it has its
    # report and its manifest, which a run writes last
    reports = os.path.join(d, "reports")
    for name in os.listdir(reports) if os.path.isdir(reports) else []:
        folder = os.path.join(reports, name)
        if name.startswith(".") or not os.path.isdir(folder):
            continue
        missing = [f for f in ("report.html", "manifest.json") if not os.path.isfile(os.path.join(folder, f))]
        if missing:
            fail(f"{label}: the run folder {name} lacks {', '.join(missing)}")


def phase_kills(root, base, smtp):
    print("\n== 36 kill -9 at random moments", flush=True)
    # 1. a recompute that sends, against a slow server
    d = copy_store(root, base, "kills")
    smtp.mode, smtp.delay = "slow", 0.15
    smtp.received.clear()
    t0 = time.monotonic()
    p, full = run(d, "recompute", "--period", PERIOD, "--send")
    msgs = sql(d, "select count(*) from outbox")[0][0]
    print(f"  a full recompute --send takes {full:.1f} s ({msgs} messages)")
    kills_in_send = 0
    for i in range(12):
        # revised data so every run has new e-mails to send (a correction)
        rev = os.path.join(d, f"rev-{i}.csv")
        with open(rev, "w") as fh:
            fh.write(HEAD + "\n" + GOOD_ROW.replace("120.5", f"{130 + i}.5").replace("2026-10-20", f"2026-11-{i + 2:02d}") + "\n")
        run(d, "ingest", rev)
        p = spawn(d, "recompute", "--period", PERIOD, "--send")
        delay = rng.uniform(0.05, full * 1.1)
        time.sleep(delay)
        sending = sql(d, "select count(*) from outbox where lease_owner is not null")[0][0]
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills_in_send += 1 if sending else 0
        after_kill_checks(d, f"recompute kill {i} at {delay:.2f} s")
    smtp.mode = "ok"
    time.sleep(1.2)
    for _ in range(5):
        run(d, "outbox", "send")
        if not sql(d, "select count(*) from outbox where state in ('pending', 'sending')")[0][0]:
            break
        time.sleep(1.5)
    states = dict(sql(d, "select state, count(*) from outbox group by state"))
    dup, distinct = smtp.duplicates()
    print(f"  12 kills in recompute --send: outbox {states}; {distinct} distinct received, "
          f"{dup} twice (kills while a lease was held: {kills_in_send})")
    if dup > kills_in_send:
        fail(f"{dup} messages received twice after {kills_in_send} kills during a send")
    if states.get("pending") or states.get("sending"):
        fail(f"messages left unsent: {states}")

    # 2. an ingest killed: all rows or none
    rows_ok = whole = 0
    for i in range(12):
        path = os.path.join(d, f"load-{i}.csv")
        with open(path, "w") as fh:
            fh.write(HEAD + "\n")
            # 20,000 distinct series-quarters (1951Q1 on, 2 indicators × 12 industries × 5 cities), a new
            # vintage of each on every load
            industries = ["NGIT", "NEV", "DCI", "HEM", "PVES", "GFD", "LH", "SHA", "NMAT", "AI", "TEN", "TOTAL"]
            for k in range(20000):
                year, q = 1951 + k // 480, k % 4 + 1
                region = ["340100", "340200", "340300", "340400", "340500"][k // 4 % 5]
                ind = industries[k // 20 % 12]
                indicator = ["operating_income", "output_value"][k // 240 % 2]
                fh.write(f"{year}Q{q},{region},{ind},{indicator},{100 + k + i / 10},亿元,,{year + 1}-02-{10 + i:02d}\n")
        before = fingerprint(d)[0][0]
        p = spawn(d, "ingest", path)
        delay = rng.uniform(0.05, 2.0)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        after_kill_checks(d, f"ingest kill {i}")
        n = fingerprint(d)[0][0] - before
        if n not in (0, 20000):
            fail(f"ingest kill {i} at {delay:.2f} s left {n} of 20000 rows")
        rows_ok += 1 if n in (0, 20000) else 0
        whole += 1 if n == 20000 else 0
        if n == 0:  # a load cut short is simply loaded again
            p, _ = run(d, "ingest", path)
            if p.returncode != 0 or fingerprint(d)[0][0] - before != 20000:
                fail(f"ingest {i} again after the kill: exit {p.returncode}")
    print(f"  12 kills in ingest: {rows_ok} loads whole or absent ({whole} whole, {12 - whole} absent), "
          f"each absent one loaded again")

    # 3. the daemon killed while it takes inbox files and API requests
    inbox = os.path.join(d, "inbox")
    os.makedirs(inbox, exist_ok=True)
    loaded, recovered = 0, []
    for i in range(12):
        daemon = Daemon(d)
        with open(os.path.join(inbox, f"drop-{i}.csv.part"), "w") as fh:
            fh.write(HEAD + "\n" + GOOD_ROW.replace("120.5", f"{200 + i}.5").replace("2026-10-20", f"2026-11-{i + 15:02d}") + "\n")
        os.rename(os.path.join(inbox, f"drop-{i}.csv.part"), os.path.join(inbox, f"drop-{i}.csv"))
        threading.Thread(target=lambda: daemon.request("POST", "/api/v1/runs", {"period": PERIOD, "send": False}),
                         daemon=True).start()
        time.sleep(rng.uniform(0.1, 4.0))
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait()
        t = time.monotonic()
        daemon = Daemon(d)
        recovered.append(daemon.ready - t)
        daemon.stop()
    # every dropped file ends up accepted, once
    daemon = Daemon(d)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(n.startswith("drop-") for n in os.listdir(inbox)):
        time.sleep(0.5)
    daemon.stop()
    left = [n for n in os.listdir(inbox) if n.startswith("drop-")]
    accepted = [n for n in os.listdir(os.path.join(inbox, "accepted")) if "drop-" in n] \
        if os.path.isdir(os.path.join(inbox, "accepted")) else []
    after_kill_checks(d, "daemon kills")
    print(f"  12 kills of the daemon: back up in {statistics.median(recovered):.2f} s median "
          f"(max {max(recovered):.2f} s); inbox files accepted {len(accepted)}/12, left {len(left)}")
    if left:
        fail(f"inbox files left after the daemon kills: {left}")
    leaks = secrets_leaked(d)
    print(f"  secrets in clear under the store, reports, e-mails: {leaks or 'none'}")
    if leaks:
        fail(f"secrets in {leaks}")


# --------------------------------------------------------------------------- the daemon


class Daemon:
    def __init__(self, d, **kw):
        self.proc = subprocess.Popen([BIN, "--config", "seimon.toml", "serve"], cwd=d, env=env(**kw),
                                     stdout=subprocess.PIPE, stderr=open(os.path.join(d, "serve.log"), "ab"))
        t = time.monotonic()
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            raise SystemExit(f"the daemon did not start: {line!r}; see {d}/serve.log")
        self.ready = time.monotonic()
        host, port = line.split()[-1].rsplit(":", 1)
        self.addr = (host, int(port))

    def request(self, method, path, body=None, token=TOKEN, timeout=60, raw=None):
        c = http.client.HTTPConnection(*self.addr, timeout=timeout)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException) as e:
            return type(e).__name__, b""
        finally:
            c.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the daemon did not stop within 30 s of SIGTERM")


def phase_smtp(root, base, smtp):
    print("\n== the outbox against failing servers", flush=True)
    for mode in ["421", "451", "550", "silent"]:
        d = copy_store(root, base, f"smtp-{mode}")
        smtp.mode = mode
        smtp.received.clear()
        p, took = run(d, "recompute", "--period", PERIOD, "--send")
        states = dict(sql(d, "select state, count(*) from outbox group by state"))
        err = sql(d, "select last_error from outbox where last_error is not null limit 1")
        print(f"  {mode:>6}: exit {p.returncode} in {took:5.1f} s; outbox {states}; "
              f"reason: {(err[0][0] if err else '')[:80]}")
        want = "dead" if mode == "550" else "pending"
        if set(states) != {want}:
            fail(f"SMTP {mode}: outbox {states}, expected all {want}")
        if mode != "550":
            smtp.mode = "ok"
            time.sleep(2.2)
            run(d, "outbox", "send")
            states = dict(sql(d, "select state, count(*) from outbox group by state"))
            dup, distinct = smtp.duplicates()
            print(f"          then an accepting server: outbox {states}; {distinct} received, {dup} twice")
            if set(states) != {"sent"} or dup:
                fail(f"after SMTP {mode}: outbox {states}, {dup} duplicates")


def phase_senders(root, base, smtp):
    print("\n== two senders at once against a slow server", flush=True)
    d = copy_store(root, base, "senders")
    smtp.mode = "421"
    run(d, "recompute", "--period", PERIOD, "--send")
    n = sql(d, "select count(*) from outbox")[0][0]
    smtp.mode, smtp.delay = "slow", 0.6
    smtp.received.clear()
    time.sleep(2.2)
    a = spawn(d, "outbox", "send")
    time.sleep(0.5)
    b = spawn(d, "outbox", "send")
    a.wait(); b.wait()
    dup, distinct = smtp.duplicates()
    states = dict(sql(d, "select state, count(*) from outbox group by state"))
    print(f"  two `outbox send` 0.5 s apart: {n} messages, {distinct} received, {dup} twice; outbox {states}")
    if dup or distinct != n:
        fail(f"two senders: {distinct} of {n} received, {dup} twice")
    # an API run with send: true beside a CLI `outbox send`, on a revised quarter
    rev = os.path.join(d, "rev.csv")
    with open(rev, "w") as fh:
        fh.write(HEAD + "\n" + GOOD_ROW.replace("120.5", "333.5").replace("2026-10-20", "2026-11-28") + "\n")
    run(d, "ingest", rev)
    smtp.received.clear()
    daemon = Daemon(d)
    status, body = daemon.request("POST", "/api/v1/runs", {"period": PERIOD, "send": True})
    cli = []
    t = time.monotonic()
    while time.monotonic() - t < 20:
        cli.append(spawn(d, "outbox", "send"))
        time.sleep(1.0)
        if cli[-1].poll() is None:
            cli[-1].wait()
        if status == 202:
            s, b = daemon.request("GET", f"/api/v1/runs/{json.loads(body)['run_id']}")
            if json.loads(b).get("state") in ("succeeded", "failed") and not \
                    sql(d, "select count(*) from outbox where state in ('pending', 'sending')")[0][0]:
                break
    for c in cli:
        c.wait()
    daemon.stop()
    dup, distinct = smtp.duplicates()
    new = sql(d, "select count(*) from outbox")[0][0] - n
    print(f"  API run with send: true ({status}) beside {len(cli)} CLI `outbox send`: {new} new messages, "
          f"{distinct} received, {dup} twice")
    if dup or distinct != new:
        fail(f"API beside CLI: {distinct} of {new} received, {dup} twice")


def phase_api(root, base, smtp):
    print("\n== 200 concurrent requests", flush=True)
    d = copy_store(root, base, "api")
    daemon = Daemon(d)
    idle = []
    for _ in range(20):
        t = time.monotonic()
        daemon.request("GET", "/healthz", token=None)
        idle.append((time.monotonic() - t) * 1000)
    paths = [f"/api/v1/periods/{PERIOD}/indicators", "/api/v1/periods", f"/api/v1/periods/{PERIOD}/risks",
             f"/api/v1/periods/{PERIOD}/indicators?region=340100"]
    stop = threading.Event()
    health, peak = [], [0]

    def probe_health():
        while not stop.is_set():
            t = time.monotonic()
            s, _ = daemon.request("GET", "/healthz", token=None, timeout=30)
            health.append(((time.monotonic() - t) * 1000, s))
            peak[0] = max(peak[0], peak_kib(daemon.proc.pid))
            time.sleep(0.1)

    h = threading.Thread(target=probe_health)
    h.start()
    t = time.monotonic()
    with cf.ThreadPoolExecutor(200) as pool:
        results = list(pool.map(lambda i: daemon.request("GET", paths[i % len(paths)], timeout=60), range(200)))
    took = time.monotonic() - t
    stop.set(); h.join()
    codes = {}
    for s, _ in results:
        codes[s] = codes.get(s, 0) + 1
    lat = sorted(x for x, _ in health)
    bad = [s for _, s in health if s != 200]
    print(f"  /healthz idle: median {statistics.median(idle):.1f} ms, max {max(idle):.1f} ms")
    print(f"  200 requests in {took:.1f} s: {codes}; /healthz meanwhile ({len(lat)} probes): median "
          f"{statistics.median(lat):.1f} ms, p95 {lat[int(len(lat) * 0.95)]:.1f} ms, max {lat[-1]:.1f} ms, "
          f"not 200: {len(bad)}; daemon peak {peak[0] / 1024:.0f} MiB")
    if bad or lat[-1] > 1000:
        fail(f"/healthz under load: max {lat[-1]:.0f} ms, {len(bad)} failures")
    # unauthenticated 200 MB uploads
    before = peak_kib(daemon.proc.pid)

    def upload(_):
        s = socket.create_connection(daemon.addr)
        s.sendall(f"POST /api/v1/files?name=x.csv HTTP/1.1\r\nHost: x\r\nContent-Length: {200 << 20}\r\n\r\n".encode())
        t = time.monotonic()
        sent, chunk = 0, b"x" * (1 << 20)
        s.settimeout(0.001)
        answer = b""
        try:
            while sent < (200 << 20):
                try:
                    s.sendall(chunk)
                    sent += len(chunk)
                except (socket.timeout, BlockingIOError):
                    pass
                except OSError:
                    break
                try:
                    answer += s.recv(4096)
                    if answer:
                        break
                except (socket.timeout, BlockingIOError):
                    pass
            s.settimeout(10)
            if not answer:
                answer = s.recv(4096)
        except OSError:
            pass
        s.close()
        return answer.split(b"\r\n", 1)[0].decode(errors="replace"), sent >> 20, time.monotonic() - t

    with cf.ThreadPoolExecutor(6) as pool:
        ups = list(pool.map(upload, range(6)))
    after = peak_kib(daemon.proc.pid)
    print(f"  six unauthenticated 200 MB uploads: {[u[0] for u in ups][:1]} after "
          f"{max(u[1] for u in ups)} MiB sent at most, {max(u[2] for u in ups):.2f} s; daemon peak "
          f"{before / 1024:.0f} → {after / 1024:.0f} MiB")
    if any("401" not in u[0] for u in ups) or after - before > 64 * 1024:
        fail(f"unauthenticated uploads: {ups}, peak {before} → {after} KiB")
    # SIGTERM with requests in flight
    with cf.ThreadPoolExecutor(50) as pool:
        futs = [pool.submit(daemon.request, "GET", paths[i % 2], None, TOKEN, 60) for i in range(50)]
        time.sleep(0.5)
        t = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.proc.wait(60)
        gone = time.monotonic() - t
    print(f"  SIGTERM with 50 requests in flight: exited in {gone:.2f} s (code {daemon.proc.returncode})")
    if gone > 20:
        fail(f"SIGTERM took {gone:.1f} s")
    leaks = secrets_leaked(d)
    if leaks:
        fail(f"secrets in {leaks}")
    with open(os.path.join(d, "serve.log"), "rb") as fh:
        log = fh.read()
    print(f"  secrets in the daemon's log: {'yes' if PASSWORD.encode() in log or TOKEN.encode() in log else 'none'}")


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"no binary at {BIN}: cargo build --release")
    smtp = Smtp()
    root, base = demo_store(smtp)
    t = time.monotonic()
    for phase in PHASES:
        globals()[f"phase_{phase}"](root, base, smtp)
    print(f"\nprobe done in {time.monotonic() - t:.0f} s; stores under {root}")
    if FAILED:
        print(f"{len(FAILED)} did not hold:")
        for f in FAILED:
            print(f"  - {f}")
        sys.exit(1)
    print("everything held")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
