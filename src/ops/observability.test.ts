import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';

/**
 * There is no Docker engine on the development machines, so the compose file and the observability
 * files it mounts are checked by reading them: names, ports and paths that must agree with the code.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const compose = read('docker-compose.yml');
const dashboard = JSON.parse(read('src/ops/grafana/dashboards/flashsale.json'));

/** The metric names DESIGN.md fixes (Operations); a histogram's series add _bucket, _sum and _count. */
const FIXED = [
  'flashsale_claims_total',
  'flashsale_claim_duration_seconds',
  'flashsale_persist_lag_seconds',
  'flashsale_campaign_remaining',
  'flashsale_queue_jobs',
  'flashsale_reconcile_violations_total',
];

describe('docker-compose.yml', () => {
  it('publishes only the load balancer and Grafana on the host', () => {
    const published = [...compose.matchAll(/^\s+- "([\d.]+:\d+:\d+)"$/gm)].map((m) => m[1]);
    expect(published).toEqual(['127.0.0.1:8080:8080', '127.0.0.1:3300:3000']);
    expect(compose).not.toMatch(/:6379:|:5432:/);
  });

  it('gives the services settings the config schema knows, with values it accepts', () => {
    const block = compose.split('environment: &app-env')[1]!.split(/\n {2}\S/)[0]!;
    const env = Object.fromEntries(
      [...block.matchAll(/^ {4}([A-Z_]+): "?(?:\$\{[A-Z_]+:-([^}]*)\}|([^"\n]*))"?$/gm)].map((m) => [
        m[1]!,
        m[2] ?? m[3]!,
      ]),
    );
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['SERVICE_TOKEN', 'BUCKET_HOLD_MS', 'PORT']));
    const config = loadConfig(env) as Record<string, unknown>;
    for (const key of Object.keys(env))
      expect(config, `${key} is not a setting of src/config.ts`).toHaveProperty(key);
  });

  it('mounts files that exist in the repository', () => {
    for (const [, path] of compose.matchAll(/- \.\/([^:]+):/g)) {
      if (path!.startsWith('load-tests/results')) continue;
      expect(existsSync(new URL(path!, root)), path).toBe(true);
    }
  });
});

describe('Prometheus and Grafana', () => {
  it('Prometheus scrapes the api replicas and the worker on the port they serve /metrics on', () => {
    const prometheus = read('src/ops/prometheus/prometheus.yml');
    for (const job of ['api', 'worker'])
      expect(prometheus).toMatch(
        new RegExp(`job_name: ${job}\\n[\\s\\S]*?names: \\[${job}\\][\\s\\S]*?port: 3000`),
      );
  });

  it("the dashboard's queries use the fixed metric names and the provisioned data source", () => {
    const uid = /uid: (\S+)/.exec(read('src/ops/grafana/provisioning/datasources/prometheus.yml'))![1];
    const ids = new Set<number>();
    for (const panel of dashboard.panels) {
      expect(ids.has(panel.id), `panel id ${panel.id}`).toBe(false);
      ids.add(panel.id);
      expect(panel.datasource.uid).toBe(uid);
      for (const { expr } of panel.targets)
        for (const [name] of expr.matchAll(/flashsale_\w+/g))
          expect(FIXED, `${panel.title}: ${name}`).toContain(name.replace(/_(bucket|sum|count)$/, ''));
    }
    expect(ids.size).toBeGreaterThan(8);
  });
});
