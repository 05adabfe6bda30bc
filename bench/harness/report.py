"""The run's results as a Markdown section for bench/RESULTS.md."""

from bench.harness.stats import fmt


def _r(m, digits: int = 3) -> str:
    return fmt(m, "", digits)


def markdown(results: dict, note: str = "") -> str:
    meta = results["meta"]
    sc = results["scenarios"]
    prof = meta["profile"]
    out = [
        f"## Order pipeline vs its database ({prof['name']} profile), {meta['date']}",
        "",
    ]
    if note:
        out += [note, ""]
    out += [
        f"- Commit: `{meta['commit']}` ({meta['commit_subject']}); application code as of "
        f"`{meta.get('app_commit', '?')}`"
        + (" + uncommitted application changes" if meta.get("dirty") else ""),
        f"- Command: `.venv/bin/python {meta['command'].strip()}`",
        f"- Machine: {meta['machine']}; Python {meta['python']}; PostgreSQL {meta['postgres']}; "
        f"Redis {meta['redis']}; {meta['wrk']}",
        f"- Stack: {meta['stack']}",
        f"- Load average at start {fmt_load(meta.get('loadavg_start'))}, at end "
        f"{fmt_load(meta.get('loadavg_end'))} (the machine is shared: other sessions' work "
        "runs beside the benchmark; A/B runs are interleaved so both sides see it)",
        f"- Profile: {prof['reps']} repetitions of {prof['seconds']:.0f} s per load run; medians "
        "with (min-max) over repetitions; ratios are per repetition (paired), then the median. "
        f"Wall time {meta.get('elapsed_s', 0) / 60:.0f} min.",
        "",
    ]
    out += _main_table(sc, prof)
    if "S2" in sc:
        out += _s2(sc["S2"])
    if "S3" in sc:
        out += _s3(sc["S3"])
    if "S5" in sc:
        out += _s5(sc["S5"])
    if "profile" in results:
        out += _profile(results["profile"])
    if results.get("celery_tasks"):
        out += [
            "### Celery tasks over the whole run (from the worker's log)",
            "",
            "| task | runs | total s | mean s |",
            "|---|---:|---:|---:|",
        ]
        for name, t in results["celery_tasks"].items():
            out.append(f"| {name} | {t['n']:,} | {t['total_s']:,.0f} | {t['mean_s']:.3f} |")
        out.append("")
    if results.get("errors"):
        out += ["### Errors", ""]
        for name, err in results["errors"].items():
            last = err.strip().splitlines()[-1] if err.strip() else ""
            out.append(f"- {name}: `{last[:300]}`")
        out.append("")
    return "\n".join(out) + "\n"


def fmt_load(values) -> str:
    if not values:
        return "-"
    return " / ".join(f"{v:.1f}" for v in values)


def _main_table(sc: dict, prof: dict) -> list[str]:
    rows = [
        "| scenario | Vectis | baseline (same run) | Vectis ÷ baseline | notes |",
        "|---|---:|---:|---:|---|",
    ]
    if "S1" in sc:
        for key, r in sc["S1"].items():
            c = key[1:]
            notes = (
                f"5xx {r['server_errors']}; p50 {fmt(r['latency_p50_ms'], ' ms', 0)}, "
                f"p99 {fmt(r['latency_p99_ms'], ' ms', 0)}; B_py {fmt(r['bpy_tps'], ' tx/s')} "
                f"(B_py ÷ B_sql {_r(r['bpy_over_bsql'], 2)}; "
                f"Vectis ÷ B_py {_r(r['accepted_over_bpy'])})"
            )
            rows.append(
                f"| S1 c={c}: orders accepted (201) /s | {fmt(r['accepted_per_s'])} | "
                f"B_sql {fmt(r['bsql_tps'], ' tx/s')} | {_r(r['accepted_over_bsql'])} | {notes} |"
            )
            drained = "all drained" if r["all_drained"] else "NOT all drained within the cap"
            rows.append(
                f"| S1e c={c}: accepted and allocated /s (until drained) | "
                f"{fmt(r['e2e_allocated_per_s'])} | B_sql {fmt(r['bsql_tps'], ' tx/s')} | "
                f"{_r(r['e2e_over_bsql'])} | {drained}; left pending {r['left_pending']} |"
            )
    if "S3" in sc:
        r = sc["S3"]
        rows.append(
            f"| S3 c={prof['s3_clients']} hot SKU: orders accepted /s | "
            f"{fmt(r['hot_accepted_per_s'])} | "
            f"- | - | X allocated {r['units_allocated']} of {prof['s3_hot_stock']} (demand "
            f"{r['demand']}); oversold {r['oversold']}; 5xx {r['server_errors']}; deadlocks "
            f"{r['deadlocks']}; counters consistent {r['consistent']} |"
        )
        rows.append(
            f"| S3b hot ÷ uniform, accepted /s (c={prof['s3_clients']}) | "
            f"{fmt(r['hot_accepted_per_s'])} | "
            f"uniform {fmt(r['uniform_accepted_per_s'])} | {_r(r['hot_over_uniform'], 2)} | "
            f"processed (allocated or backordered) /s: hot {fmt(r['hot_e2e_per_s'])} vs uniform "
            f"{fmt(r['uniform_e2e_per_s'])} = {_r(r['hot_e2e_over_uniform'], 2)} |"
        )
    if "S4" in sc:
        r = sc["S4"]
        rows.append(
            f"| S4 flash sale: {r['holds']:,} holds (expires_in {r['expires_in']} s) on "
            f"{r['units']:,} units, c=32 | oversold {r['oversold_api']} (API) / "
            f"{r['oversold_db']} (database); active reservations 1 min after expiry: "
            f"{r['left_active_1min_after']} | - | - | {r['held']:,} held, "
            f"{r['refused_insufficient']:,} refused insufficient_stock, {r['released']:,} "
            f"released, {r['expired']:,} expired; reserved at the end {r['reserved_at_end']}; "
            f"{r['holds_per_s']:.0f} holds/s; 5xx {r['server_errors']}; "
            f"verify_stock_ledger: {r['ledger']['mismatches']} mismatches |"
        )
    if "S6" in sc:
        r = sc["S6"]
        lv, lb = r["ledger_vectis"], r["ledger_bpy_bsql"]
        rows.append(
            f"| S6 adjust c=32 on 10 SKUs, {prof['s6_seconds']:.0f} s: adjustments /s | "
            f"{fmt(r['vectis_per_s'])} | B_py {fmt(r['bpy_per_s'])} | {_r(r['vectis_over_bpy'])} | "
            f"B_sql {fmt(r['bsql_per_s'])} (Vectis ÷ B_sql {_r(r['vectis_over_bsql'])}); "
            f"5xx {r['server_errors']}; verify_stock_ledger: {lv['mismatches']} mismatches of "
            f"{lv['checked']} levels (baselines' account: {lb['mismatches']}) |"
        )
    if "S7" in sc:
        r = sc["S7"]
        bound = (
            ""
            if r["first_attempt_complete"]
            else " (lower bounds: some events unattempted at the cap)"
        )
        rows.append(
            f"| S7 c=8 with 200 endpoints: orders accepted /s | {fmt(r['with_per_s'])} | "
            f"without webhooks {fmt(r['without_per_s'])} | {_r(r['with_over_without'], 2)} | "
            f"event → first attempt p50 {fmt(r['first_attempt_p50_ms'], ' ms', 0)}, p99 "
            f"{fmt(r['first_attempt_p99_ms'], ' ms', 0)}"
            f"{bound}; "
            f"e2e allocated /s {fmt(r['with_e2e_per_s'])} vs {fmt(r['without_e2e_per_s'])}"
            + (
                f"; repetitions {r['dropped_reps']} dropped (token expired: 401s)"
                if r.get("dropped_reps")
                else ""
            )
            + " |"
        )
    if "S7b" in sc:
        r = sc["S7b"]
        rate = r["deliveries_per_s"]
        rows.append(
            f"| S7b drain {r['events']:,} events → {r['expected_deliveries']:,} deliveries: "
            f"deliveries /s | {rate:,.1f} | raw http.client loop {r['raw_http_per_s']:,.0f} /s new "
            f"connections, {r.get('raw_http_keep_alive_per_s', 0):,.0f} /s keep-alive | "
            f"{(r['over_raw'] or 0):.3f} | {r['delivered']:,} delivered in {r['span_s'] or 0:.0f} s"
            f"{'' if r['drained'] else ' (capped: not drained)'} |"
        )
    if "S8" in sc:
        r = sc["S8"]
        rows.append(
            f"| S8 import_products {r['rows']:,} rows: rows /s | "
            f"{fmt(r['vectis_rows_per_s'], '', 0)} | "
            f"B_copy {fmt(r['bcopy_rows_per_s'], '', 0)} | {_r(r['vectis_over_bcopy'])} | "
            "B_copy: COPY to staging + INSERT…SELECT products and product.created events, one "
            "transaction |"
        )
        if "orders" in r:
            o = r["orders"]
            rows.append(
                f"| S8 import_orders {o['rows']:,} rows (3 per order): rows /s | "
                f"{fmt(o['vectis_rows_per_s'], '', 0)} | "
                f"B_copy {fmt(o['bcopy_rows_per_s'], '', 0)} | {_r(o['vectis_over_bcopy'])} | "
                "B_copy: COPY to staging + one INSERT…SELECT of orders, lines, history and "
                "order.created events, one transaction |"
            )
    if "S5" in sc:
        r = sc["S5"]
        pages = r["pages"]
        first = next(v for k, v in pages.items() if "per_page=100 first" in k)
        if "s5_ratio" not in r:  # runs before cursors existed: OFFSET pages only
            deep = next(v for k, v in pages.items() if "per_page=100 deep" in k)
            rows.append(
                f"| S5 {r['orders']:,} orders, per_page=100: p95 at row {deep['row']:,} | "
                f"{deep['p95_ms']:.0f} ms | page 1 {first['p95_ms']:.0f} ms | "
                f"{deep['p95_ms'] / first['p95_ms']:.1f}x | see S5 table |"
            )
            return [*rows, ""]
        middle = next(v for k, v in pages.items() if k.startswith("cursor per_page=100 middle"))
        offset = next(v for k, v in pages.items() if k.startswith("page per_page=100 middle"))
        rows.append(
            f"| S5 {r['orders']:,} orders, per_page=100: p95 by cursor at row "
            f"{middle['row']:,} | {middle['p95_ms']:.0f} ms | first page "
            f"{first['p95_ms']:.0f} ms | {r['s5_ratio']:.2f} | by OFFSET (page mode) at that "
            f"row: {offset['p95_ms']:.0f} ms; see S5 table |"
        )
        for per_page, ratio in r["s5b_ratio"].items():
            with_total = next(
                v for k, v in pages.items() if k.startswith(f"page per_page={per_page} first")
            )
            without = next(
                v for k, v in pages.items() if k.startswith(f"cursor per_page={per_page} first")
            )
            rows.append(
                f"| S5b per_page={per_page}: p95 of page 1 with meta.total | "
                f"{with_total['p95_ms']:.0f} ms | next page by cursor (no total) "
                f"{without['p95_ms']:.0f} ms | {ratio:.2f} | |"
            )
    return [*rows, ""]


def _s2(r: dict) -> list[str]:
    out = [
        "### S2: SQL statements per operation (in-process, CaptureQueriesContext; BEGIN, COMMIT, "
        "SAVEPOINT and RELEASE included)",
        "",
        "| lines | order create (POST /v1/orders, whole request) | allocation (task body) | "
        "create + allocate | B_sql (same rows, 3 lines) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, v in r.items():
        c, a = v["create"], v["allocate"]
        out.append(
            f"| {n} | {c['statements']} ({c['transactions']} tx, {c['sql_ms']} ms SQL) | "
            f"{a['statements']} ({a['transactions']} tx, {a['sql_ms']} ms SQL) | "
            f"{c['statements'] + a['statements']} | 17 for 3 lines (14 + one conditional stock "
            "UPDATE per line) |"
        )
    out.append("")
    for n, v in r.items():
        a = v["allocate"]["kinds"]
        kinds = ", ".join(f"{k} x{c}" for k, c in a.items())
        out.append(f"- allocation, {n} line(s): {kinds}")
    for n, v in r.items():
        c = v["create"]["kinds"]
        kinds = ", ".join(f"{k} x{c2}" for k, c2 in c.items())
        out.append(f"- create, {n} line(s): {kinds}")
    return [*out, ""]


def _s3(r: dict) -> list[str]:
    out = [
        "### S3: hot SKU, per repetition",
        "",
        "| rep | accepted/s | statuses | X allocated | demand | oversold | deadlocks | drained |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for i, run in enumerate(r["runs"]["hot"]):
        out.append(
            f"| {i} | {run['accepted_per_s']:.1f} | {run['statuses']} | "
            f"{run['hot_units_allocated']} | {run['hot_demand']} | {run['oversold']} | "
            f"{run['deadlocks']} | {run['drain']['drained']} |"
        )
    return [*out, ""]


def _s5(r: dict) -> list[str]:
    out = [
        f"### S5/S5b: GET /v1/orders on {r['orders']:,} orders of one account (3 lines each; built "
        f"by COPY in {r['build_s']:.0f} s), one client, sequential requests",
        "",
        "| request | p50 | p95 | max |",
        "|---|---:|---:|---:|",
    ]
    for name, v in r["pages"].items():
        out.append(
            f"| {name} | {v['p50_ms']:.0f} ms | {v['p95_ms']:.0f} ms | {v['max_ms']:.0f} ms |"
        )
    out += [
        "",
        "In-process split of one request (median of 3; SQL times from Django's query log):",
        "",
        "| request | whole request | COUNT(*) for meta.total | rows (orders + lines) "
        "| statements |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, v in r["sql_split"].items():
        out.append(
            f"| {name} | {v['request_ms']} ms | {v['count_sql_ms']} ms | {v['rows_sql_ms']} ms | "
            f"{v['statements']} |"
        )
    return [*out, ""]


def _profile(p: dict) -> list[str]:
    out = ["### Profiles: where the time goes (py-spy record, 100 Hz, active samples only)", ""]
    for name, s in p.items():
        if isinstance(s, dict) and "pg_activity" in s:
            a = s["pg_activity"]
            states = ", ".join(f"{k} {v}" for k, v in a["states"])
            stmts = ", ".join(f"{q} {pct}%" for q, pct in a["active_statements"])
            out += [
                f"**{name}** (pg_stat_activity every 0.1 s, {a['samples']} samples): backends "
                f"per sample by state: {states}. Active backends' statements: {stmts}.",
                "",
            ]
            continue
        if not isinstance(s, dict) or "samples" not in s:
            out.append(f"- {name}: {s}")
            continue
        out.append(
            f"**{name}** ({s['samples']} samples). Share of samples by layer of the "
            "innermost frame:"
        )
        out.append("")
        out.append(", ".join(f"{layer} {pct}%" for layer, pct in s["layers"]))
        out.append("")
        out.append(
            "Top frames, inclusive (% of samples with the frame on the stack; thread, server "
            "and middleware frames left out):"
        )
        out.append("")
        for frame, pct in s["inclusive_top"][:10]:
            out.append(f"- {pct}% `{frame}`")
        out.append("")
        out.append("Top Vectis frames, inclusive:")
        out.append("")
        for frame, pct in s["vectis_inclusive_top"][:10]:
            out.append(f"- {pct}% `{frame}`")
        out.append("")
        out.append("Top frames, self:")
        out.append("")
        for frame, pct in s["self_top"][:10]:
            out.append(f"- {pct}% `{frame}`")
        out.append("")
    return out
