// Test helper: scrapes a broker's /metrics and parses the exposition with a real Prometheus
// text-format parser (parse-prometheus-text-format, which throws on a malformed line), then finds
// series by name and labels. That parser folds the series of a labelled histogram into one bucket
// map, so histogram counts are read from their `<name>_count{...}` lines instead.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}
export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

export class Scrape {
  constructor(
    readonly text: string,
    readonly families: Family[],
  ) {}

  family(name: string): Family | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): Sample[] {
    return (this.family(name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** The value of the one matching counter or gauge sample (undefined when there is none). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.samples(name, labels);
    if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(labels)}`);
    return found[0]?.value === undefined ? undefined : Number(found[0].value);
  }

  /** The observation count of matching histogram series, summed. */
  count(name: string, labels: Record<string, string> = {}): number {
    if (this.family(name)?.type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram of this exposition`);
    let total = 0;
    for (const line of this.text.split('\n')) {
      const match = new RegExp(`^${name}_count(?:\\{(.*)\\})? (\\S+)$`).exec(line);
      if (!match) continue;
      const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[2]);
    }
    return total;
  }
}

export async function scrapeMetrics(adminPort: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return new Scrape(text, parsePrometheusTextFormat(text) as Family[]);
}
