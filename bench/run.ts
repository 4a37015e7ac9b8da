/**
 * `npm run bench`: Kontor's figures measured in one run on the embedded defaults, each against a
 * ceiling measured in the same run where there is one. Writes bench/results.json and prints a
 * table with the targets of issue 7.
 *
 * - start_ms: `kontor start` to ready on an existing KONTOR_HOME (the second start).
 * - create_investment: POST /investments/ at 50 concurrent clients (autocannon) after as long a
 *   warm-up of the same load, against `pgbench -M prepared` tpcb-like TPS on the same PostgreSQL.
 * - lifecycle: create → accept → pay → credit → DELIVERED for 2,000 investments.
 * - credits: crediting throughput batched (CREDIT_BATCH_MAX=250) vs one transaction per credit
 *   (CREDIT_BATCH_MAX=1), on the same anvil: the credits are requested through `kontor api`
 *   (no workers), then `kontor worker` credits them, timed from its start to the last DELIVERED.
 *   (The request path is measured by create_investment and lifecycle.)
 * - rss_peak_mb: the largest peak resident set (VmHWM) of the kontor processes after all of it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '../src/runtime/ports.ts';
import { embeddedUrl, runningEmbedded, runningEmbeddedPort } from '../src/runtime/postgres.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'kontor.mjs');
const LIFECYCLE_COUNT = Number(process.env.BENCH_LIFECYCLE ?? 2000);
const CREDITS_BATCHED = Number(process.env.BENCH_CREDITS ?? 1000);
const CREDITS_SINGLE = Number(process.env.BENCH_CREDITS_SINGLE ?? 150);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CONNECTIONS = 50;

const home = mkdtempSync(join(tmpdir(), 'kontor-bench-'));
// The embedded defaults (issue 7): only the log level is quieter.
const baseEnv = { KONTOR_HOME: home, LOG_LEVEL: 'warn' };

// ---- the server ---------------------------------------------------------------------------------

interface Server {
  url: string;
  child: ChildProcess;
  startMs: number;
  stop(): Promise<void>;
}

async function start(extra: Record<string, string> = {}, command = 'start'): Promise<Server> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, [BIN, command], {
    env: { ...process.env, ...baseEnv, PORT: String(port), ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('Kontor is running.') || output.includes('Kontor workers are running.')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kontor start exited with ${code}:\n${output}`)));
  });
  const startMs = performance.now() - began;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    startMs,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...baseEnv }, encoding: 'utf8' });
}

// ---- the API ------------------------------------------------------------------------------------

interface Demo {
  api_url: string;
  issuer: { client_id: string; client_secret: string };
  distributor: { client_id: string; client_secret: string };
  product_id: string;
  campaign_id: string;
}

class Client {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}
  static async of(base: string, credentials: { client_id: string; client_secret: string }) {
    const res = await fetch(`${base}/api/external/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', ...credentials }),
    });
    return new Client(base, ((await res.json()) as { access_token: string }).access_token);
  }
  async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.base}/api/external/distributor/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

const hex = '0123456789abcdef';
/** A random address in lower case (getAddress gives it its EIP-55 checksum). */
function randomAddress(): string {
  return `0x${Array.from({ length: 40 }, () => hex[Math.floor(Math.random() * 16)]).join('')}`;
}

async function investorsWithWallets(api: Client, count: number) {
  const { getAddress } = await import('viem');
  return pool(
    Array.from({ length: count }, (_, i) => i),
    CONNECTIONS,
    async (i) => {
      const investor = await api.call('POST', '/investors/', {
        natural_person: { forename: 'Bench', surname: `Investor ${i}` },
        wallet_address: getAddress(randomAddress()),
      });
      await api.call('POST', `/investors/${investor.id}/identifications/`, {
        document_type: 'IDCARD',
        document_id: `B${i}`,
        document_valid_to: '2035-01-01',
        verified_at: '2026-01-05T09:00:00Z',
      });
      const wallets = await api.call('GET', `/investors/${investor.id}/wallets/`);
      return { investorId: investor.id as string, walletId: wallets.results[0].id as string };
    },
  );
}

async function documents(api: Client) {
  const upload = async (name: string) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')], { type: 'application/pdf' }), name);
    const res = await fetch(`${api.base}/api/external/distributor/v2/documents/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}` },
      body: form,
    });
    return ((await res.json()) as { id: string }).id;
  };
  return [
    { category: 'effecta_cryptoregistry_tos', document_id: await upload('tos.pdf') },
    { category: 'effecta_document', document_id: await upload('terms.pdf') },
  ];
}

/** The body of POST /investments/ for one unit of the demo campaign, signed (and more fields given). */
function investmentBody(
  demo: Demo,
  investor: { investorId: string; walletId: string },
  signed: { category: string; document_id: string }[],
  more: Record<string, unknown> = {},
) {
  return {
    investor_id: investor.investorId,
    campaign_id: demo.campaign_id,
    units: 1,
    signed_at: '2026-02-01T10:00:00Z',
    signed_documents: signed,
    wallet: investor.walletId,
    ...more,
  };
}

async function countDelivered(api: Client, campaignId: string): Promise<number> {
  const page = await api.call('GET', `/investments/?campaign_id=${campaignId}&status=DELIVERED&limit=1`);
  return page.count;
}

async function untilDelivered(api: Client, campaignId: string, count: number, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await countDelivered(api, campaignId)) < count) {
    if (Date.now() > deadline) throw new Error(`not all ${count} delivered in time`);
    // The clock stops within 25 ms of the last delivery.
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- the phases ---------------------------------------------------------------------------------

async function createInvestment(server: Server) {
  const demo = JSON.parse(cli(['demo', '--json'])) as Demo;
  const api = await Client.of(server.url, demo.distributor);
  const investor = (await investorsWithWallets(api, 1))[0]!;
  const signed = await documents(api);
  const load = (duration: number) =>
    autocannon({
      url: `${server.url}/api/external/distributor/v2/investments/`,
      method: 'POST',
      connections: CONNECTIONS,
      duration,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(investmentBody(demo, investor, signed)),
    });
  // A server that has just started runs its code unoptimized: V8 compiles the hot paths during
  // the first seconds of load. The same load warms it up first; only the second run is measured.
  await load(WARMUP_S);
  const before = cpuSnapshot(server.child.pid!);
  const result = await load(DURATION_S);
  const after = cpuSnapshot(server.child.pid!);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`create_investment: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  const perRequestMs = (seconds: number) => (seconds * 1000) / result.requests.total;
  return {
    requests_per_s: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    count: result.requests.total,
    // Where the CPU of a create goes, measured over the timed load: the Kontor process (API and
    // workers) and all of PostgreSQL's processes, per request; and how the Kontor process's main
    // thread (the one JavaScript runs on) spent the wall time: running, or runnable but waiting
    // for a core. A thread busy all the time, half of it waiting, is a saturated machine.
    cpu_ms_per_request: {
      kontor: perRequestMs(after.kontor - before.kontor),
      postgres: perRequestMs(after.postgres - before.postgres),
    },
    kontor_main_thread: {
      running_share: (after.mainRunning - before.mainRunning) / (after.wall - before.wall),
      waiting_for_cpu_share: (after.mainWaiting - before.mainWaiting) / (after.wall - before.wall),
    },
  };
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** The fields of /proc/PID/stat after the command name (the state first, then the parent's PID); null once the process ended. */
function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process, all its threads, from its /proc/PID/stat fields. */
const cpuSeconds = (fields: string[] | null) =>
  fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S : 0;

/**
 * CPU seconds so far of the Kontor process and of the embedded PostgreSQL (the postmaster and every
 * process it started: backends, WAL writer, checkpointer), and the Kontor main thread's time on a
 * core and waiting for one (/proc/PID/schedstat, nanoseconds).
 */
function cpuSnapshot(kontorPid: number) {
  const postmaster = runningEmbedded(home)?.pid;
  if (!postmaster) throw new Error('the embedded PostgreSQL is not running');
  let postgres = cpuSeconds(procStat(postmaster));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(entry);
    if (fields && Number(fields[1]) === postmaster) postgres += cpuSeconds(fields);
  }
  const [running, waiting] = readFileSync(`/proc/${kontorPid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return {
    wall: performance.now() / 1000,
    kontor: cpuSeconds(procStat(kontorPid)),
    postgres,
    mainRunning: running! / 1e9,
    mainWaiting: waiting! / 1e9,
  };
}

function pgbenchBinary(): string {
  for (const candidate of ['/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench']) {
    if (existsSync(candidate)) return candidate;
  }
  // Debian ships pgbench with the server package; only its binaries are used here.
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], { stdio: 'inherit' });
  return '/usr/lib/postgresql/15/bin/pgbench';
}

async function pgbench(): Promise<number> {
  const port = runningEmbeddedPort(home);
  if (!port) throw new Error('the embedded PostgreSQL is not running');
  const url = embeddedUrl(home, port);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('drop database if exists bench_pgbench');
  await admin.query('create database bench_pgbench');
  await admin.end();
  const target = url.replace(/\/[^/?]+(\?|$)/, '/bench_pgbench$1');
  const bin = pgbenchBinary();
  execFileSync(bin, ['-i', '-q', '-s', '10', target], { stdio: 'ignore' });
  const out = execFileSync(
    bin,
    ['-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-T', String(DURATION_S), '-n', target],
    {
      encoding: 'utf8',
    },
  );
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  if (!tps) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(tps);
}

async function lifecycle(server: Server) {
  const demo = JSON.parse(cli(['demo', '--json'])) as Demo;
  const api = await Client.of(server.url, demo.distributor);
  const investors = await investorsWithWallets(api, 200);
  const signed = await documents(api);
  const began = performance.now();
  await pool(
    Array.from({ length: LIFECYCLE_COUNT }, (_, i) => investors[i % investors.length]!),
    CONNECTIONS,
    async (investor) => {
      const investment = await api.call('POST', '/investments/', investmentBody(demo, investor, signed));
      await api.call('PATCH', `/investments/${investment.id}/`, { accepted_at: new Date().toISOString() });
      await api.call('PATCH', `/investments/${investment.id}/`, { paid_at: new Date().toISOString() });
      await api.call('POST', `/investments/${investment.id}/credits/`);
    },
  );
  await untilDelivered(api, demo.campaign_id, LIFECYCLE_COUNT);
  const seconds = (performance.now() - began) / 1000;
  return { investments: LIFECYCLE_COUNT, seconds, per_s: LIFECYCLE_COUNT / seconds };
}

interface PaidSet {
  demo: Demo;
  ids: string[];
}

/** `count` PAID investments of distinct wallets in a fresh demo campaign, ready to be credited. */
async function paidInvestments(server: Server, count: number): Promise<PaidSet> {
  const demo = JSON.parse(cli(['demo', '--json'])) as Demo;
  const api = await Client.of(server.url, demo.distributor);
  const investors = await investorsWithWallets(api, count);
  const signed = await documents(api);
  const ids = await pool(investors, CONNECTIONS, async (investor) => {
    const now = new Date().toISOString();
    const investment = await api.call(
      'POST',
      '/investments/',
      investmentBody(demo, investor, signed, { accepted_at: now, paid_at: now }),
    );
    return investment.id as string;
  });
  return { demo, ids };
}

/**
 * Crediting throughput: the credits of `set` are requested through an API process without
 * workers; then a worker with CREDIT_BATCH_MAX=`batchMax` starts, and the clock runs from its
 * being ready to the last DELIVERED (minting, booking, ISSUANCE statements, events).
 */
async function credits(api: Server, set: PaidSet, batchMax: number) {
  const client = await Client.of(api.url, set.demo.distributor);
  await pool(set.ids, CONNECTIONS, (id) => client.call('POST', `/investments/${id}/credits/`));
  const worker = await start({ CREDIT_BATCH_MAX: String(batchMax) }, 'worker');
  const began = performance.now();
  await untilDelivered(client, set.demo.campaign_id, set.ids.length);
  const seconds = (performance.now() - began) / 1000;
  const rss = peakRssMb(worker.child.pid!);
  await worker.stop();
  return { credits: set.ids.length, seconds, per_s: set.ids.length / seconds, rss };
}

/**
 * Waits until every token knows every receiving wallet, the indexer has looked at every block of
 * every token (it also books what the earlier phases minted) and the e-mails of the earlier phases
 * are drained, so that a timed phase does not pay for the backlog of the one before.
 */
async function untilAtRest(timeoutMs = 300_000) {
  const { chain_rpc_url: rpcUrl } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as {
    chain_rpc_url: string;
  };
  const db = new pg.Client({ connectionString: embeddedUrl(home, runningEmbeddedPort(home)!) });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      });
      const head = Number(((await res.json()) as { result: string }).result);
      const { rows } = await db.query<{ behind: string }>(
        `select count(*) as behind from products p left join ledger_cursors c on c.product_id = p.id
         where p.token_contract_address is not null and (c.block_number is null or c.block_number < $1)`,
        [head],
      );
      const unregistered = await db.query<{ missing: string }>(
        `select count(*) as missing from products p join wallets w on w.receiving_enabled
         where p.token_contract_address is not null
           and not exists (select 1 from token_wallet_registrations r where r.product_id = p.id and r.address = w.address)`,
      );
      // The e-mails the creates queued (no SMTP here: the drainers only resolve their recipients).
      const mail = await db.query<{ queued: string }>(
        'select count(*) as queued from emails where sent_at is null and recipients is null',
      );
      if (
        Number(rows[0]!.behind) === 0 &&
        Number(unregistered.rows[0]!.missing) === 0 &&
        Number(mail.rows[0]!.queued) === 0
      ) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error('the registrations, the indexer or the e-mail drainers did not catch up in time');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await db.end();
  }
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

// ---- the run ------------------------------------------------------------------------------------

const first = await start();
await first.stop();
const server = await start();
const startMs = Math.round(server.startMs);
console.log(`start_ms ${startMs}`);

const create = await createInvestment(server);
console.log(`create_investment ${create.requests_per_s.toFixed(0)} req/s`);
const pgbenchTps = await pgbench();
console.log(`pgbench ${pgbenchTps.toFixed(0)} tps`);
const life = await lifecycle(server);
console.log(`lifecycle ${life.per_s.toFixed(1)}/s`);
const batchedSet = await paidInvestments(server, CREDITS_BATCHED);
const singleSet = await paidInvestments(server, CREDITS_SINGLE);
// The products' tokens and the wallets' registrations are in place before the crediting starts,
// and the indexer has caught up with what the phases before minted.
await untilAtRest();
const serverRss = peakRssMb(server.child.pid!);
await server.stop();
const api = await start({}, 'api');
const batched = await credits(api, batchedSet, 250);
console.log(`credits batched ${batched.per_s.toFixed(1)}/s`);
const single = await credits(api, singleSet, 1);
console.log(`credits one per transaction ${single.per_s.toFixed(1)}/s`);
const rss = Math.max(serverRss, batched.rss, peakRssMb(api.child.pid!));
await api.stop();

const cpu = readFileSync('/proc/cpuinfo', 'utf8');
const cores = (cpu.match(/^processor/gm) ?? []).length;
const results = {
  measured_at: new Date().toISOString(),
  machine: {
    cpu: /model name\s*:\s*(.+)/.exec(cpu)?.[1] ?? 'unknown',
    cores,
    node: process.version,
  },
  start_ms: startMs,
  create_investment: create,
  pgbench_tps: pgbenchTps,
  create_investment_vs_pgbench: create.requests_per_s / pgbenchTps,
  // The most creates per second the cores could run if PostgreSQL's share of a create were all
  // there was to it (no HTTP, no Node, no load generator), against pgbench: what the database work
  // of a create alone allows on this machine.
  create_postgres_ceiling_vs_pgbench: (cores * 1000) / create.cpu_ms_per_request.postgres / pgbenchTps,
  lifecycle: life,
  credits: { batched, single },
  credits_per_s: batched.per_s,
  credits_batched_vs_single: batched.per_s / single.per_s,
  rss_peak_mb: rss,
};
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

const pct = (share: number) => `${(share * 100).toFixed(0)} %`;
const rows: [string, string, string, boolean][] = [
  ['start_ms', String(startMs), '< 3000', startMs < 3000],
  [
    'create_investment req/s (p50 / p99 ms)',
    `${create.requests_per_s.toFixed(0)} (${create.p50_ms} / ${create.p99_ms})`,
    '',
    true,
  ],
  ['pgbench tpcb-like tps', pgbenchTps.toFixed(0), '', true],
  [
    'create_investment_vs_pgbench',
    results.create_investment_vs_pgbench.toFixed(2),
    '≥ 0.5',
    results.create_investment_vs_pgbench >= 0.5,
  ],
  [
    'create CPU ms/request kontor / postgres',
    `${create.cpu_ms_per_request.kontor.toFixed(2)} / ${create.cpu_ms_per_request.postgres.toFixed(2)}`,
    '',
    true,
  ],
  [
    'kontor main thread running / waiting',
    `${pct(create.kontor_main_thread.running_share)} / ${pct(create.kontor_main_thread.waiting_for_cpu_share)}`,
    '',
    true,
  ],
  ['create ceiling by postgres CPU vs pgbench', results.create_postgres_ceiling_vs_pgbench.toFixed(2), '', true],
  ['lifecycle per s (2,000)', life.per_s.toFixed(1), '', true],
  ['credits_per_s (batched)', batched.per_s.toFixed(1), '≥ 300', batched.per_s >= 300],
  ['credits one per transaction per s', single.per_s.toFixed(1), '', true],
  [
    'credits_batched_vs_single',
    results.credits_batched_vs_single.toFixed(1),
    '≥ 10',
    results.credits_batched_vs_single >= 10,
  ],
  ['rss_peak_mb', String(rss), '< 400', rss < 400],
];
console.log(`\nKontor benchmark (${results.machine.cpu}, ${results.machine.cores} cores, Node ${process.version})`);
for (const [name, value, target, ok] of rows) {
  console.log(`${name.padEnd(40)} ${value.padStart(16)}  ${target.padEnd(8)} ${target ? (ok ? 'met' : 'MISSED') : ''}`);
}
