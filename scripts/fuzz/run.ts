// `npm run fuzz -- --minutes N [--seed S]`: starts a broker in this process (fresh data dir, HTTP
// gateway on, ephemeral ports), creates a topic of each type and a group, fuzzes it for N minutes
// (default 1) and prints cases tried, outcomes and findings. Exit code 1 when anything was found
// or the broker stopped serving.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker } from '../../src/broker.js';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { formatReport, fuzz } from './fuzzer.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' }, concurrency: { type: 'string', default: '8' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--minutes must be a positive number, got ${values.minutes}`);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);

const dir = await mkdtemp(join(tmpdir(), 'halfmoon-fuzz-'));
const config = resolveConfig({
  env: {},
  overrides: {
    dataDir: dir,
    grpcPort: 0,
    httpPort: 0,
    adminEnabled: false,
    durable: false,
    logLevel: 'silent',
    minLongPollingTimeoutMs: 0,
    minInvisibleDurationMs: 1000,
    grpcIdleTimeoutMs: 2000,
  },
});
const broker = await Broker.start({ config, logger: silentLogger() });
try {
  const topics: string[] = [];
  for (const type of ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const) {
    const name = `Fuzz${type}`;
    await broker.services.topics.create(name, type);
    topics.push(name);
  }
  await broker.services.groups.create('GID_fuzz', {}, { maxDeliveryAttempts: config.maxDeliveryAttempts, startFrom: config.groupStartFrom });
  console.log(`fuzzing ${broker.endpoint} (HTTP ${broker.httpPort}) for ${minutes} min, seed ${seed}`);
  let last = Date.now();
  const report = await fuzz(
    { grpcEndpoint: `127.0.0.1:${broker.grpcPort}`, httpPort: broker.httpPort!, topics, group: 'GID_fuzz', rss: () => process.memoryUsage().rss },
    {
      seed,
      durationMs: minutes * 60_000,
      concurrency: Number(values.concurrency),
      onProgress: (r) => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        console.log(`  ${r.cases} cases, ${r.findings.length} findings, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      },
    },
  );
  console.log(formatReport(report));
  process.exitCode = report.findings.length > 0 || !report.servedAfter ? 1 : 0;
} finally {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
}
