// The fuzz run in CI (about 40 s): thousands of mutated protobuf payloads, random bytes and broken
// frames to every RPC of both gRPC services over raw HTTP/2, and random and mutated requests and
// XML bodies to every MQ HTTP gateway route (scripts/fuzz). Every case gets a status or a clean
// gRPC/HTTP error, none hangs past its deadline, memory stays bounded, and ordinary traffic is
// served afterwards. `npm run fuzz -- --minutes N` is the longer run.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allRpcs } from '../../scripts/fuzz/grpc-cases.js';
import { formatReport, fuzz } from '../../scripts/fuzz/fuzzer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker;
const topics: string[] = [];
const MiB = 1024 * 1024;

beforeAll(async () => {
  // Connections stuck mid-frame close after grpcIdleTimeoutMs: within the fuzzer's 5 s for raw bytes.
  tb = await startTestBroker({ httpEnabled: true, minInvisibleDurationMs: 1000, grpcIdleTimeoutMs: 2000 });
  for (const type of ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const) {
    await tb.broker.services.topics.create(`Fuzz${type}`, type);
    topics.push(`Fuzz${type}`);
  }
  await tb.broker.services.groups.create('GID_fuzz', {}, { maxDeliveryAttempts: tb.config.maxDeliveryAttempts, startFrom: tb.config.groupStartFrom });
});
afterAll(async () => {
  await tb.close();
});

describe('fuzzing the broker', () => {
  it('answers every mutated, random and broken request cleanly and keeps serving', async () => {
    const seed = Number(process.env.HALFMOON_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const report = await fuzz(
      { grpcEndpoint: tb.endpoint, httpPort: tb.broker.httpPort!, topics, group: 'GID_fuzz', rss: () => process.memoryUsage().rss },
      { seed, durationMs: 40_000, maxCases: 20_000, concurrency: 8 },
    );
    console.log(formatReport(report)); // the seed replays a failure: HALFMOON_FUZZ_SEED=<seed>
    expect(report.findings).toEqual([]);
    expect(report.servedAfterDetail).toContain('ReceiveMessage got it');
    expect(report.servedAfter).toBe(true);
    expect(report.cases).toBeGreaterThanOrEqual(2000);
    // Every RPC of both services was tried.
    for (const rpc of allRpcs()) expect(report.targets[`grpc ${rpc.name}`] ?? 0, rpc.name).toBeGreaterThan(0);
    expect(Object.keys(report.targets).filter((t) => t.startsWith('http ')).length).toBeGreaterThan(5);
    // Memory stays bounded (the run keeps no state beyond what the broker stores).
    expect((report.rssPeakBytes ?? 0) - (report.rssStartBytes ?? 0)).toBeLessThan(400 * MiB);
    // Calls the fuzzer cancelled gave their long-poll and Telemetry slots back.
    await vi.waitFor(() => expect(tb.broker.services.limits.heldCount()).toBe(0), { timeout: 10_000 });
  }, 120_000);
});
