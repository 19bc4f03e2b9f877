import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../support/processes.ts";
import { startOpsStack, type OpsStack } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Prometheus's own series, not the sidecar's. */
const PROMETHEUS_SERIES = new Set(["up"]);
/** PromQL words that look like names: functions, aggregations, keywords. */
const PROMQL = new Set(
  "sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring group_left group_right bool and or unless offset delta rate irate increase deriv predict_linear abs absent absent_over_time ceil floor round clamp clamp_min clamp_max changes resets time vector scalar histogram_quantile label_replace label_join sort sort_desc avg_over_time max_over_time min_over_time sum_over_time count_over_time last_over_time".split(" "),
);

/** The metric names an expression reads: identifiers outside braces, quotes and brackets, that are not PromQL words or label names. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1");
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !PROMQL.has(n) && !/^\d/.test(n)))];
}

describe("ops/alerts.yml", () => {
  it("parses, and each rule names only metrics a real sidecar exports", async () => {
    const doc = parse(readFileSync(join(ROOT, "ops/alerts.yml"), "utf8")) as { groups: { name: string; rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(["OdcPartnerCircuitOpen", "OdcOldestPendingTooOld", "OdcDeadLettersGrowing", "OdcOdooUnreachable", "OdcInboundQuarantineGrowing"]));
    for (const r of rules) {
      expect(r.expr, r.alert).toEqual(expect.any(String));
      expect(r.for ?? "0m", r.alert).toMatch(/^\d+[smh]$/);
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary, r.alert).toEqual(expect.any(String));
      // Balanced parentheses, the cheapest syntax check short of promtool.
      let depth = 0;
      for (const ch of r.expr) {
        depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
        expect(depth, r.alert).toBeGreaterThanOrEqual(0);
      }
      expect(depth, r.alert).toBe(0);
    }

    stack = await startOpsStack();
    const exposition = await (await fetch(`${stack.url}/metrics`)).text();
    const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    expect(exported.size).toBeGreaterThan(10);
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const name of names) if (!PROMETHEUS_SERIES.has(name)) expect(exported, `${r.alert} reads ${name}`).toContain(name);
    }
  });

  it("finds the metric names of an expression (and so would catch a misspelt one)", () => {
    expect(metricNames('max by (instance, partner) (odc_partner_circuit_open{partner="X"}) == 1')).toEqual(["odc_partner_circuit_open"]);
    expect(metricNames("sum by (partner) (delta(odc_partner_dead_deliveries[30m])) > 0 unless on (partner) (odc_partner_paused == 1)")).toEqual(["odc_partner_dead_deliveries", "odc_partner_paused"]);
    expect(metricNames("rate(odc_delivery_atempts_total[5m]) > 1")).toEqual(["odc_delivery_atempts_total"]);
  });
});
