import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { PrincipalType } from './db/schema.ts';
import { ApiError } from './http/errors.ts';
import type { DemoSet } from './runtime/demo.ts';
import { processAlive } from './runtime/ports.ts';

// Each command loads only what it needs: `kontor help` or `status` start in a fraction of a second.
const parties = () => import('./parties/service.ts');
const runtime = () => import('./runtime/kontor.ts');

const USAGE = `kontor — crypto-securities registry

usage:
  kontor start                         API, Studio, workers; embedded PostgreSQL and anvil unless configured
  kontor api                           API and Studio without workers (run \`kontor worker\` beside it)
  kontor worker                        workers only (scale out)
  kontor migrate                       apply database migrations
  kontor demo [--json]                 create a fresh, independent demo set and print it
  kontor status [--json]               where the API, database and chain are, and whether they run
  kontor admin issuer create --name NAME [--json]
  kontor admin issuer list [--json]
  kontor admin platform create --name NAME [--json]
  kontor admin platform list [--json]
  kontor admin allow --issuer ID --platform ID [--deny]
  kontor admin client create (--issuer ID | --platform ID | --registrar) [--name NAME] [--scopes a,b] [--json]
  kontor admin client revoke --client-id CLIENT_ID
  kontor admin web-subscription --platform ID (--enable | --disable)
  kontor admin studio-user create --email EMAIL --password PASSWORD [--issuer ID]
  kontor admin mail list [--unsent] [--json]
  kontor admin reconcile [--json]      ledger supply and balances vs the register; exit code 1 on any difference
  kontor admin statements annual [--year YYYY] [--json]
                                       issue the annual registry statements of a completed year now (default: last year)

configuration (environment): PORT, HOST, PUBLIC_URL, KONTOR_HOME, DATABASE_URL, CHAIN_RPC_URL,
REGISTRAR_PRIVATE_KEY, REGISTRAR_NAME, SMTP_URL, MAIL_FROM, KONTOR_ENVIRONMENT, WEBHOOK_RETRY_DELAYS, LOG_LEVEL (see README.md)`;

class UsageError extends Error {}

const log = (message: string) => process.stderr.write(`${message}\n`);

function print(value: unknown, json: boolean, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

function demoFile(config: Config): string {
  return join(config.home, 'demo.json');
}

function banner(apiUrl: string, demo: DemoSet | null, createdNow: boolean): string {
  const lines = [
    '',
    'Kontor is running.',
    `  API base URL       ${apiUrl}/api/external`,
    `  API reference      ${apiUrl}/docs`,
    `  OpenAPI            ${apiUrl}/api/external/openapi.json`,
    `  Health             ${apiUrl}/healthz  ${apiUrl}/readyz`,
  ];
  if (demo) {
    lines.push(
      '',
      createdNow ? 'A demo set was created on the empty database:' : 'The demo set of this KONTOR_HOME:',
      `  issuer             ${demo.issuer.id}`,
      `    client_id        ${demo.issuer.client_id}`,
      `    client_secret    ${demo.issuer.client_secret}`,
      `  distributor        ${demo.distributor.id}`,
      `    client_id        ${demo.distributor.client_id}`,
      `    client_secret    ${demo.distributor.client_secret}`,
      `  product            ${demo.product_id}`,
      `  campaign           ${demo.campaign_id}`,
      `  Studio             ${demo.studio.url}  ${demo.studio.email} / ${demo.studio.password}`,
      '',
      'Next: get a token and read the campaign as the distributor:',
      `  TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=${demo.distributor.client_id} \\`,
      `    -d client_secret=${demo.distributor.client_secret} ${apiUrl}/api/external/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
      `  curl -H "Authorization: Bearer $TOKEN" ${apiUrl}/api/external/distributor/v2/products/${demo.product_id}/campaigns/${demo.campaign_id}/`,
    );
  }
  lines.push('', 'Stop with Ctrl-C (SIGINT) or SIGTERM: requests in flight finish first.', '');
  return lines.join('\n');
}

/**
 * A server outlives the reader of its output. When the pipe behind stdout or stderr closes
 * (`kontor start | head`, a log shipper that restarts), further output is dropped: dying on the
 * write's EPIPE would stop the registry and leave the embedded PostgreSQL and anvil behind.
 */
function outliveOutputReaders(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

async function start(config: Config, parts: 'all' | 'api' | 'workers'): Promise<void> {
  outliveOutputReaders();
  const workersOnly = parts === 'workers';
  const { startKontor } = await runtime();
  const { createDemoSet } = await import('./runtime/demo.ts');
  const kontor = await startKontor(config, { api: !workersOnly, workers: parts !== 'api' });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping gracefully`);
    kontor.stop().then(
      () => process.exit(0),
      (error) => {
        log(`stop failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (workersOnly) {
    log('Kontor workers are running. Stop with SIGTERM.');
    return;
  }
  let demo: DemoSet | null = null;
  let createdNow = false;
  const anyIssuer = await kontor.db.selectFrom('issuers').select('id').limit(1).executeTakeFirst();
  if (!anyIssuer) {
    demo = await createDemoSet(kontor.db, kontor.apiUrl);
    createdNow = true;
    writeFileSync(demoFile(config), JSON.stringify(demo, null, 2), { mode: 0o600 });
  } else if (existsSync(demoFile(config))) {
    demo = { ...JSON.parse(readFileSync(demoFile(config), 'utf8')), api_url: kontor.apiUrl };
  }
  log(banner(kontor.apiUrl, demo, createdNow));
}

/** Runs a registrar task against the database of this KONTOR_HOME, whether or not the server runs. */
async function withDatabase<T>(config: Config, task: (db: Db) => Promise<T>): Promise<T> {
  const { openMigratedDatabase } = await runtime();
  const handle = await openMigratedDatabase(config, log);
  try {
    return await task(handle.db);
  } finally {
    await handle.close();
  }
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable)';
  }
}

async function rpcChainId(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : null;
  } catch {
    return null;
  }
}

async function status(config: Config) {
  const { apiUrlOf } = await runtime();
  const { EMBEDDED_CHAIN_ID, runningEmbeddedChain } = await import('./runtime/anvil.ts');
  const { embeddedUrl, runningEmbeddedPort } = await import('./runtime/postgres.ts');
  let apiUrl = apiUrlOf(config);
  let apiRunning = false;
  const serverFile = join(config.home, 'server.json');
  if (existsSync(serverFile)) {
    const server = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number; api_url: string };
    if (processAlive(server.pid)) apiUrl = server.api_url;
  }
  try {
    const r = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    apiRunning = r.ok;
  } catch {
    apiRunning = false;
  }
  let database: Record<string, unknown>;
  if (config.databaseUrl) {
    database = { url: maskUrl(config.databaseUrl), embedded: false };
  } else {
    const port = runningEmbeddedPort(config.home);
    database = {
      url: port ? maskUrl(embeddedUrl(config.home, port)) : null,
      embedded: true,
      running: port !== null,
      data_dir: join(config.home, 'postgres'),
    };
  }
  let rpcUrl = config.chainRpcUrl;
  if (!rpcUrl) {
    const anvil = runningEmbeddedChain(config.home);
    rpcUrl = anvil ? `http://127.0.0.1:${anvil.port}` : null;
  }
  const chainId = rpcUrl ? await rpcChainId(rpcUrl) : null;
  return {
    api_url: apiUrl,
    api_running: apiRunning,
    environment: config.environment,
    home: config.home,
    database,
    chain: {
      rpc_url: rpcUrl,
      chain_id: chainId ?? (config.chainRpcUrl ? null : EMBEDDED_CHAIN_ID),
      embedded: !config.chainRpcUrl,
      running: chainId !== null,
    },
  };
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** Admin tasks that take no verb after their noun. */
const VERBLESS = new Set(['allow', 'web-subscription', 'reconcile']);

async function admin(config: Config, args: string[]): Promise<void> {
  const [noun, verb, ...rest] = args;
  const { values } = parseArgs({
    args: VERBLESS.has(noun ?? '') ? [verb ?? '', ...rest].filter(Boolean) : rest,
    options: {
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      issuer: { type: 'string' },
      platform: { type: 'string' },
      registrar: { type: 'boolean', default: false },
      scopes: { type: 'string' },
      deny: { type: 'boolean', default: false },
      enable: { type: 'boolean', default: false },
      disable: { type: 'boolean', default: false },
      'client-id': { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      unsent: { type: 'boolean', default: false },
      year: { type: 'string' },
    },
    strict: true,
  });
  const json = values.json === true;
  const {
    createApiClient,
    createIssuer,
    createPlatform,
    createStudioUser,
    revokeApiClient,
    setAllowance,
    setWebSubscription,
  } = await parties();
  const key = `${noun} ${VERBLESS.has(noun ?? '') ? '' : (verb ?? '')}`.trim();
  switch (key) {
    case 'issuer create': {
      const name = required(values, 'name');
      const issuer = await withDatabase(config, (db) =>
        db.transaction().execute((trx) => createIssuer(trx, { legal_person: { company_name: name } })),
      );
      return print(issuer, json, () => `issuer ${issuer.id} created`);
    }
    case 'issuer list': {
      const rows = await withDatabase(config, (db) =>
        db
          .selectFrom('issuers')
          .select(['id', 'legal_person', 'natural_person', 'created_at'])
          .orderBy('created_at')
          .execute(),
      );
      return print(rows, json, () =>
        rows
          .map((r) => {
            const lp = r.legal_person as { company_name?: string } | null;
            const np = r.natural_person as { forename?: string; surname?: string } | null;
            return `${r.id}  ${lp?.company_name ?? `${np?.forename ?? ''} ${np?.surname ?? ''}`}`;
          })
          .join('\n'),
      );
    }
    case 'platform create': {
      const name = required(values, 'name');
      const platform = await withDatabase(config, (db) =>
        db.transaction().execute((trx) => createPlatform(trx, { platform_company_name: name })),
      );
      return print(platform, json, () => `distribution platform ${platform.id} created`);
    }
    case 'platform list': {
      const rows = await withDatabase(config, (db) =>
        db
          .selectFrom('distribution_platforms')
          .select(['id', 'platform_company_name', 'web_subscription_enabled', 'created_at'])
          .orderBy('created_at')
          .execute(),
      );
      return print(rows, json, () =>
        rows
          .map((r) => `${r.id}  ${r.platform_company_name}${r.web_subscription_enabled ? '  (web subscription)' : ''}`)
          .join('\n'),
      );
    }
    case 'allow': {
      const issuer = required(values, 'issuer');
      const platform = required(values, 'platform');
      const result = await withDatabase(config, (db) =>
        db.transaction().execute((trx) => setAllowance(trx, issuer, platform, values.deny !== true)),
      );
      return print(result, json, () =>
        result.is_allowed
          ? `issuer ${issuer} allowed on ${platform}`
          : `issuer ${issuer} no longer allowed on ${platform}`,
      );
    }
    case 'client create': {
      const principals = [
        values.issuer ? 'issuer' : null,
        values.platform ? 'platform' : null,
        values.registrar ? 'registrar' : null,
      ].filter(Boolean);
      if (principals.length !== 1) throw new UsageError('give exactly one of --issuer ID, --platform ID, --registrar');
      const principal: PrincipalType = values.issuer
        ? 'issuer'
        : values.platform
          ? 'distribution_platform'
          : 'registrar';
      const scopes = typeof values.scopes === 'string' ? values.scopes.split(/[ ,]+/).filter(Boolean) : undefined;
      const client = await withDatabase(config, (db) =>
        db.transaction().execute((trx) =>
          createApiClient(trx, {
            name: typeof values.name === 'string' ? values.name : `${principal} client`,
            principal,
            issuerId: typeof values.issuer === 'string' ? values.issuer : null,
            platformId: typeof values.platform === 'string' ? values.platform : null,
            scopes,
          }),
        ),
      );
      return print(client, json, () =>
        [
          `client_id      ${client.client_id}`,
          `client_secret  ${client.client_secret}   (shown once; only a hash is stored)`,
          `scopes         ${client.scopes.join(' ')}`,
        ].join('\n'),
      );
    }
    case 'client revoke': {
      const clientId = required(values, 'client-id');
      const result = await withDatabase(config, (db) =>
        db.transaction().execute((trx) => revokeApiClient(trx, clientId)),
      );
      return print(
        result,
        json,
        () => `client ${clientId} revoked (tokens already issued expire within their lifetime)`,
      );
    }
    case 'web-subscription': {
      const platform = required(values, 'platform');
      if (values.enable === values.disable) throw new UsageError('give --enable or --disable');
      const result = await withDatabase(config, (db) =>
        db.transaction().execute((trx) => setWebSubscription(trx, platform, values.enable === true)),
      );
      return print(
        result,
        json,
        () => `web-based subscription ${result.web_subscription_enabled ? 'enabled' : 'disabled'} for ${platform}`,
      );
    }
    case 'reconcile': {
      const { openChain } = await import('./runtime/anvil.ts');
      const { connectLedger } = await import('./ledger/chain.ts');
      const { reconcile } = await import('./ledger/reconcile.ts');
      const chain = await openChain(config);
      try {
        const report = await withDatabase(config, async (db) =>
          reconcile(db, await connectLedger(config, chain.rpcUrl)),
        );
        print(
          report,
          json,
          () =>
            report
              .map((p) =>
                [
                  `${p.name} (${p.contract_address}): ledger ${p.ledger_supply}, register ${p.register_total}`,
                  ...p.holders.map((h) => `  ${h.address}: ledger ${h.ledger_balance}, register ${h.register_balance}`),
                  ...p.differences.map((d) => `  DIFFERENCE ${d}`),
                ].join('\n'),
              )
              .join('\n') || 'no product has a token yet',
        );
        if (report.some((p) => p.differences.length > 0)) process.exitCode = 1;
        return;
      } finally {
        await chain.stop();
      }
    }
    case 'statements annual': {
      const { annualRunYear, registerKeeperOf } = await import('./registry/domain.ts');
      const { issueAnnualStatements } = await import('./registry/service.ts');
      let year: number | undefined;
      if (values.year !== undefined) {
        if (!/^\d{4}$/.test(values.year)) throw new UsageError('--year must be a year (YYYY)');
        year = Number(values.year);
      }
      const result = await withDatabase(config, (db) =>
        issueAnnualStatements(db, registerKeeperOf(config), annualRunYear({ year }, new Date())),
      );
      return print(result, json, () => `${result.issued} annual registry statements issued for ${result.year}`);
    }
    case 'studio-user create': {
      const email = required(values, 'email');
      const password = required(values, 'password');
      const user = await withDatabase(config, (db) =>
        db.transaction().execute((trx) =>
          createStudioUser(trx, {
            email,
            password,
            issuerId: typeof values.issuer === 'string' ? values.issuer : null,
          }),
        ),
      );
      return print(user, json, () => `Studio user ${user.email} created`);
    }
    case 'mail list': {
      const rows = await withDatabase(config, (db) =>
        db
          .selectFrom('emails')
          .select([
            'id',
            'issuer_id',
            'kind',
            'investment_id',
            'recipients',
            'subject',
            'body',
            'created_at',
            'sent_at',
            'attempts',
            'last_error',
          ])
          .$if(values.unsent === true, (q) => q.where('sent_at', 'is', null))
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
      );
      return print(rows, json, () =>
        rows.length === 0
          ? '(no e-mails)'
          : rows
              .map((r) =>
                [
                  r.created_at,
                  r.sent_at ? 'sent' : r.last_error ? `unsent (${r.last_error})` : 'unsent',
                  r.recipients?.length ? r.recipients.join(', ') : '-',
                  r.subject,
                ].join('  '),
              )
              .join('\n'),
      );
    }
    default:
      throw new UsageError(`unknown admin task "${args.join(' ')}"`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'start':
      return start(config, 'all');
    case 'api':
      return start(config, 'api');
    case 'worker':
      return start(config, 'workers');
    case 'migrate': {
      const { openMigratedDatabase } = await runtime();
      const handle = await openMigratedDatabase(config, log);
      await handle.close();
      log(handle.applied.length ? `applied: ${handle.applied.join(', ')}` : 'the database is up to date');
      return;
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const { apiUrlOf } = await runtime();
      const { createDemoSet } = await import('./runtime/demo.ts');
      const url = apiUrlOf(config);
      const serverFile = join(config.home, 'server.json');
      let apiUrl = url;
      if (existsSync(serverFile)) {
        const server = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number; api_url: string };
        if (processAlive(server.pid)) apiUrl = server.api_url;
      }
      const demo = await withDatabase(config, (db) => createDemoSet(db, apiUrl));
      return print(demo, values.json === true, () => banner(apiUrl, demo, true));
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const result = await status(config);
      return print(result, values.json === true, () =>
        [
          `API       ${result.api_url} (${result.api_running ? 'running' : 'not running'})`,
          `database  ${JSON.stringify(result.database)}`,
          `chain     ${result.chain.rpc_url ?? '(embedded, not running)'} chain id ${result.chain.chain_id}`,
        ].join('\n'),
      );
    }
    case 'admin':
      return admin(config, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  () => {
    // Long-running commands keep the event loop alive themselves.
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      log(`kontor: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ApiError) {
      log(`kontor: ${error.detail}`);
      if (error.errors) for (const [f, m] of Object.entries(error.errors)) log(`  ${f}: ${m.join(', ')}`);
      process.exit(1);
    }
    if (error instanceof ConfigError) {
      log(`kontor: configuration: ${error.message}`);
      process.exit(2);
    }
    log(`kontor: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
