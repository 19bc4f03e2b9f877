#!/usr/bin/env python3
"""What the addon costs Odoo's users: confirm 100 purchase orders and validate 100 pickings in a
real Odoo 18 with the distribution_connector addon installed, against a database without it,
measured in the same run.

Both databases are copied from the same cached template (purchase_stock + stock_delivery, see
scripts/odoo-lib.sh); the addon is installed in one of them. One worker process loads both
databases' registries side by side and interleaves the operations in pairs (one on each
database, the order of the pair drawn at random), so that the load of a shared machine falls
on both alike. Each operation runs as the admin user in a fresh cursor and environment that
commit at the end, as one web request would:

  1. confirm N purchase orders of 2 lines (button_confirm);
  2. validate their N receipts (button_validate);
  3. validate N delivery orders of 1 line, reserved beforehand (button_validate).

Preparation (creating orders and delivery orders, reserving) is not timed; a few operations
warm both registries up first. The overhead is sum(with addon) / sum(without) - 1 per step;
the median of the per-pair ratios is given too. No sidecar URL is set, so no nudge is sent (a
nudge is a daemon thread started after commit, outside the user's request).

Usage: ODOO_HOME=/path/to/odoo18 [ODOO_DB_USER=...] python3 bench/addon-overhead.py [--n 100] [--rounds 2]
       [--profile confirm|receive|ship]  (where the addon's time goes in one step, by cProfile)
Prints the Markdown of the "Addon overhead" section of bench/README.md and one JSON line.
"""

import argparse
import json
import os
import pathlib
import platform
import random
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULE = "distribution_connector"
WARMUP = 3


# ----------------------------------------------------------------------------------------------
# Worker: runs with Odoo's interpreter, both registries in one process
# ----------------------------------------------------------------------------------------------

def worker(plain_db, addon_db, n, rounds, seed, profile=None):
    sys.path.insert(0, os.environ["ODOO_HOME"])
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config([
        "--db_host=%s" % os.environ.get("ODOO_DB_HOST", "127.0.0.1"),
        "--db_port=%s" % os.environ.get("ODOO_DB_PORT", "5432"),
        "--db_user=%s" % os.environ["BENCH_DB_USER"],
        "--addons-path=%s" % os.environ["BENCH_ADDONS_PATH"],
        "--without-demo=all", "--log-level=warn",
    ])
    rng = random.Random(seed)
    profiler = plain_profiler = None
    if profile:
        import cProfile
        profiler, plain_profiler = cProfile.Profile(), cProfile.Profile()
    databases = {False: plain_db, True: addon_db}
    registries = {addon: Registry(db) for addon, db in databases.items()}
    queries = {False: 0, True: 0}

    def request(addon, function):
        """Run ``function(env)`` as one committed request on that database; return its seconds."""
        registry = registries[addon]
        start = time.perf_counter()
        with registry.cursor() as cr:
            env = api.Environment(cr, 2, {"lang": "en_US", "tz": "UTC"})  # uid 2: admin
            result = function(env)
            env.flush_all()
            queries[addon] += cr.sql_log_count + 1  # + the commit
        return time.perf_counter() - start, result

    def setup(env):
        has_addon = "connector_partner_code" in env["res.partner"]._fields
        env.company.sudo().po_double_validation = "one_step"
        vendor = env["res.partner"].search([("name", "=", "Bench Vendor")], limit=1)
        if not vendor:
            values = {"name": "Bench Vendor", "is_company": True}
            if has_addon:
                values["connector_partner_code"] = "BENCH-VENDOR"
            vendor = env["res.partner"].create(values)
        customer = env["res.partner"].search([("name", "=", "Bench Customer")], limit=1) or env["res.partner"].create(
            {"name": "Bench Customer", "street": "1 Bench Street", "city": "Brussels", "zip": "1000"})
        products = env["product.product"].search([("default_code", "in", ["BENCH-A", "BENCH-B"])], order="default_code")
        if len(products) < 2:
            products = env["product.product"].create([
                {"name": "Bench part %s" % code[-1], "default_code": code, "type": "consu", "is_storable": True,
                 "seller_ids": [Command.create({"partner_id": vendor.id, "price": 10.0, "product_code": "V-" + code})]}
                for code in ("BENCH-A", "BENCH-B")
            ])
        carrier = env["delivery.carrier"].search([("name", "=", "Bench Carrier")], limit=1)
        if not carrier:
            values = {"name": "Bench Carrier", "delivery_type": "fixed", "fixed_price": 5.0,
                      "product_id": env["product.product"].create({"name": "Bench shipping", "type": "service"}).id}
            if has_addon:
                values["connector_partner_code"] = "BENCH-CARRIER"
            carrier = env["delivery.carrier"].sudo().create(values)
        return {"has_addon": has_addon, "vendor": vendor.id, "customer": customer.id, "products": products.ids,
                "carrier": carrier.id}

    refs = {addon: request(addon, setup)[1] for addon in databases}
    for addon, ref in refs.items():
        assert ref["has_addon"] == addon, "%s: addon installed is %s" % (databases[addon], ref["has_addon"])

    def make_orders(count):
        def create(env, ref):
            return env["purchase.order"].create([{
                "partner_id": ref["vendor"],
                "order_line": [Command.create({"product_id": product, "product_qty": 5, "price_unit": 10.0})
                               for product in ref["products"]],
            } for _ in range(count)]).ids
        return {addon: request(addon, lambda env, ref=refs[addon]: create(env, ref))[1] for addon in databases}

    def make_deliveries(count):
        def create(env, ref):
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            customers = env.ref("stock.stock_location_customers")
            product = env["product.product"].browse(ref["products"][0])
            pickings = env["stock.picking"].create([{
                "picking_type_id": warehouse.out_type_id.id, "partner_id": ref["customer"], "carrier_id": ref["carrier"],
                "location_id": warehouse.lot_stock_id.id, "location_dest_id": customers.id,
                "move_ids": [Command.create({
                    "name": product.name, "product_id": product.id, "product_uom_qty": 1,
                    "product_uom": product.uom_id.id, "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customers.id,
                })],
            } for _ in range(count)])
            pickings.action_confirm()
            pickings.action_assign()
            assert set(pickings.mapped("state")) == {"assigned"}, pickings.mapped("state")
            return pickings.ids
        return {addon: request(addon, lambda env, ref=refs[addon]: create(env, ref))[1] for addon in databases}

    def receipts_of(order_ids):
        def read(env, ids):
            pickings = env["purchase.order"].browse(ids).picking_ids
            assert len(pickings) == len(ids)
            return pickings.ids
        return {addon: request(addon, lambda env, ids=order_ids[addon]: read(env, ids))[1] for addon in databases}

    def confirm(model_ids):
        return lambda env: env["purchase.order"].browse(model_ids).button_confirm()

    def validate(picking_id):
        def run(env):
            result = env["stock.picking"].browse(picking_id).button_validate()
            if result is not True:
                raise RuntimeError("picking %s not validated at once: %r" % (picking_id, result))
        return run

    def paired(ids, operation, step=None):
        """Run ``operation(id)`` on both databases, pair by pair in random order; return the times
        and the number of SQL statements per operation. With ``--profile`` naming this step, the
        addon side runs under cProfile (its times are then not comparable: read the profile only)."""
        profiled = profiler is not None and step == profile
        times = {False: [], True: []}
        queries.update({False: 0, True: 0})
        for index in range(len(ids[False])):
            order = [False, True]
            rng.shuffle(order)
            for addon in order:
                side = (profiler if addon else plain_profiler) if profiled else None
                if side:
                    side.enable()
                seconds, _result = request(addon, operation(ids[addon][index]))
                if side:
                    side.disable()
                times[addon].append(seconds)
        times["queries"] = {addon: queries[addon] / len(ids[addon]) for addon in (False, True)}
        return times

    # Warm-up: every code path once on both databases, untimed.
    warm = make_orders(WARMUP)
    paired(warm, confirm)
    paired(receipts_of(warm), validate)
    paired(make_deliveries(WARMUP), validate)

    samples = []
    for _round in range(rounds):
        orders = make_orders(n)
        confirmed = paired(orders, confirm, "confirm")
        received = paired(receipts_of(orders), validate, "receive")
        shipped = paired(make_deliveries(n), validate, "ship")
        samples.append({"confirm": confirmed, "receive": received, "ship": shipped})
    outbox_rows = request(True, lambda env: env["connector.outbox"].sudo().search_count([]))[1]
    if profiler is not None:
        import io
        import pstats
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats("distribution_connector", 40)
        sys.stderr.write(out.getvalue())
        if os.environ.get("BENCH_PROFILE_DUMP"):
            # Both sides, to compare function by function where the addon adds time.
            profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"] + ".addon")
            plain_profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"] + ".plain")
    print("BENCH_WORKER " + json.dumps({"samples": samples, "outbox_rows": outbox_rows}))


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def sh(command, **kwargs):
    return subprocess.run(command, check=True, text=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="orders and pickings per round (default 100)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of N paired operations per step (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--profile", choices=("confirm", "receive", "ship"),
                        help="profile the addon side of one step with cProfile and print where the addon's time goes "
                             "(the figures of a profiled run are not comparable)")
    parser.add_argument("--worker", nargs=2, metavar=("PLAIN_DB", "ADDON_DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.n, args.rounds, args.seed, args.profile)
        return 0
    if not os.environ.get("ODOO_HOME"):
        print("ODOO_HOME not set: skipping the addon overhead benchmark")
        return 0
    lib = ROOT / "scripts" / "odoo-lib.sh"
    # The template, connection settings and Odoo command line, from the project's helper.
    settings = sh(["bash", "-c", '. "$0"; t="$(ensure_template)"; echo "$t"; echo "$PYTHON"; echo "$DB_USER"; '
                   'echo "$ODOO_HOME/odoo/addons,$ADDONS"; printf "%s\\n" "${PG[@]}"; printf "%s\\0" "${ODOO[@]}"',
                   str(lib)], capture_output=True).stdout
    lines = settings.split("\n", 10)
    template, python, db_user, addons_path = lines[:4]
    pg = lines[4:10]
    odoo = [part for part in lines[10].split("\0") if part]
    stamp = "%d_%d" % (time.time(), os.getpid())
    plain_db, addon_db = "odc_ovh_plain_%s" % stamp, "odc_ovh_addon_%s" % stamp
    load_start = os.getloadavg()[0]
    try:
        for db in (plain_db, addon_db):
            sh(["createdb", *pg, "-T", template, db])
        sh([*odoo, "-d", addon_db, "-i", MODULE, "--stop-after-init", "--log-level=warn"], capture_output=True)
        run = subprocess.run(
            [python, __file__, "--worker", plain_db, addon_db, "--n", str(args.n), "--rounds", str(args.rounds),
             "--seed", str(args.seed), *(["--profile", args.profile] if args.profile else [])],
            capture_output=True, text=True,
            env=dict(os.environ, BENCH_DB_USER=db_user, BENCH_ADDONS_PATH=addons_path),
        )
        line = next((l for l in run.stdout.splitlines() if l.startswith("BENCH_WORKER ")), None)
        if run.returncode or not line:
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            raise SystemExit("benchmark worker failed")
        if args.profile:
            sys.stderr.write(run.stderr)
    finally:
        if not args.keep:
            for db in (plain_db, addon_db):
                subprocess.run(["dropdb", *pg, "--if-exists", db], capture_output=True)
    result = json.loads(line[len("BENCH_WORKER "):])

    def series(step, addon):
        key = "true" if addon else "false"
        return [t for sample in result["samples"] for t in sample[step][key]]

    def statements(step, addon):
        key = "true" if addon else "false"
        return statistics.mean(sample[step]["queries"][key] for sample in result["samples"])

    def pair_ratios(steps):
        plain = [sum(v) for v in zip(*(series(step, False) for step in steps))]
        addon = [sum(v) for v in zip(*(series(step, True) for step in steps))]
        return [a / p for a, p in zip(addon, plain)]

    count = args.n * args.rounds
    rows = []
    for steps, label in (
        (("confirm",), "confirm a purchase order of 2 lines (button_confirm)"),
        (("receive",), "validate its receipt (button_validate)"),
        (("confirm", "receive"), "**confirm a PO + validate a picking (the issue's measure)**"),
        (("ship",), "validate a delivery order of 1 line (button_validate)"),
    ):
        plain = sum(sum(series(step, False)) for step in steps)
        addon = sum(sum(series(step, True)) for step in steps)
        rows.append((label, plain, addon, statistics.median(pair_ratios(steps)),
                     sum(statements(step, False) for step in steps), sum(statements(step, True) for step in steps)))
    print("Measured %s with `ODOO_HOME=... python3 bench/addon-overhead.py --n %d --rounds %d`: Odoo 18.0, "
          "Python %s, %d cores; 1-min load average %.2f at start, %.2f at the end (shared machine). "
          "%d operations of each kind per database, interleaved in pairs in one process.\n" % (
              time.strftime("%Y-%m-%d"), args.n, args.rounds, platform.python_version(), os.cpu_count(),
              load_start, os.getloadavg()[0], count))
    print("| operation, each in its own committed request | without addon, ms | with addon, ms | overhead (sums) "
          "| median pair ratio | SQL statements, without / with |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, plain, addon, median_ratio, plain_sql, addon_sql in rows:
        print("| %s | %.1f | %.1f | %+.1f %% | %.3f | %.0f / %.0f |" % (
            label, plain * 1000 / count, addon * 1000 / count, (addon / plain - 1) * 100, median_ratio,
            plain_sql, addon_sql))
    summary = {
        "n": args.n, "rounds": args.rounds, "outbox_rows": result["outbox_rows"],
        "ratio_confirm_and_receive": rows[2][2] / rows[2][1],
        "ratio_confirm": rows[0][2] / rows[0][1], "ratio_receive": rows[1][2] / rows[1][1],
        "ratio_ship": rows[3][2] / rows[3][1],
    }
    print("\nBENCH_JSON " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
