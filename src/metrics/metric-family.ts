/**
 * A metric family as prom-client's getMetricsAsJSON() writes it and its static
 * AggregatorRegistry.aggregate() reads it: what workers send the master at scrape time.
 * prom-client's typings keep this shape private, so it is spelled out here.
 */
import type { Registry } from 'prom-client';

export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';
export type Labels = Record<string, string | number>;

export interface MetricSample {
  value: number;
  labels: Labels;
  /** For histograms and summaries: name_bucket, name_sum, name_count. */
  metricName?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricKind;
  aggregator: string;
  values: MetricSample[];
}

/** A metric whose samples are computed when the registry is read (scrape time) from
 * state kept elsewhere. Registries accept any object with a name and get(); prom-client's
 * own aggregate() registers metrics the same way. */
export function registerSnapshotMetric(
  registry: Registry,
  name: string,
  help: string,
  type: MetricKind,
  samples: () => MetricSample[],
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: (): MetricFamily => ({ name, help, type, aggregator: 'sum', values: samples() }),
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** Histogram samples (cumulative buckets, +Inf, sum, count) from per-bucket counts. */
export function histogramSamples(
  name: string,
  bounds: readonly number[],
  bucketCounts: ArrayLike<number>,
  total: number,
  sum: number,
  labels: Labels = {},
): MetricSample[] {
  const samples: MetricSample[] = [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += bucketCounts[i]!;
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bounds[i]! }, value: cumulative });
  }
  samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: total });
  samples.push({ metricName: `${name}_sum`, labels, value: sum });
  samples.push({ metricName: `${name}_count`, labels, value: total });
  return samples;
}

/**
 * Adds labels to every sample of every family (the master adds worker="<slot>" to what a
 * worker sent). With distinct labels per source, summing identical label sets — what
 * aggregate() does — never adds two sources together, so every family is marked 'sum'
 * (prom-client's default metrics ask for 'first' or 'omit' for some, meant for
 * unlabelled cluster totals).
 */
export function withLabels(families: readonly MetricFamily[], labels: Labels): MetricFamily[] {
  return families.map((f) => ({
    ...f,
    aggregator: 'sum',
    values: f.values.map((v) => ({ ...v, labels: { ...v.labels, ...labels } })),
  }));
}
