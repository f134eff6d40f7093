#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp, version, type Riff } from './app.js';
import { ConfigError, flagNames, loadConfig, type Config } from './config.js';
import { diagnose } from './doctor.js';
import { DEMO_PASSWORD, seedDemoMusicians } from './modules/accounts/index.js';
import { seedDemoAlbums } from './modules/reviews/index.js';
import { RiffError } from './platform/errors.js';
import { LISTEN_BACKLOG } from './platform/http/server.js';

const usage = `riff ${version} — chat, meetups and music discussion for musicians

usage: riff [command] [--flag value …]
  serve                  run a Riff node (the default command)
  migrate                bring the database schema up to date, then exit
  seed-demo              create demo musicians to log in with (and print their credentials) and well-known albums
  doctor                 check the database and bus connections and say what is wrong
  admin grant <username> make a user an admin
  bench [scenario…]      measure Riff against raw ws, Socket.IO and uWS.js (npm run bench):
                         fanout durable idle reconnect history apps multinode

flags (each also an environment variable): ${flagNames.map((f) => `--${f}`).join(' ')}`;

const SHUTDOWN_GRACE_MS = 10_000;

async function serve(config: Config): Promise<void> {
  const riff = await buildApp(config);
  const { http, storage } = riff;
  await http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  http.log.info({ storage: storage.location, dialect: storage.dialect }, `Riff ${version} serving on http://${config.host}:${config.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    http.log.info(`${signal}: finishing in-flight requests, then closing`);
    setTimeout(() => {
      http.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    http.close().then(
      () => process.exit(0),
      (error: unknown) => {
        http.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Runs `work` against a migrated database without serving, then closes it. */
async function withRiff(config: Config, work: (riff: Riff) => Promise<void>): Promise<void> {
  const riff = await buildApp({ ...config, logLevel: 'warn' });
  try {
    await work(riff);
  } finally {
    await riff.http.close();
  }
}

/** The benchmark lives outside the product (bench/, built by `npm run bench`); this runs its entry point. */
async function bench(args: string[]): Promise<void> {
  const entry = fileURLToPath(new URL('../dist-bench/bench/run.js', import.meta.url));
  if (!existsSync(entry)) throw new ConfigError('the benchmark is not built: run npm run bench once, or tsc -p bench/tsconfig.json');
  const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  process.exitCode = code ?? 1;
}

async function main(argv: string[]): Promise<void> {
  // The benchmark has flags of its own, so its arguments pass through unparsed.
  if (argv[0] === 'bench') return bench(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...Object.fromEntries(flagNames.map((name) => [name, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const config = loadConfig(process.env, values as Record<string, string>);
  const [command = 'serve', ...rest] = positionals;
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return withRiff(config, async ({ storage }) => {
        console.log(`schema up to date (${storage.dialect}: ${storage.location})`);
      });
    case 'seed-demo':
      return withRiff(config, async ({ storage, accounts, reviews }) => {
        const created = await seedDemoMusicians(storage.db, accounts);
        console.log(created.length > 0 ? `created demo musicians: ${created.join(', ')}` : 'demo musicians already exist');
        const albums = await seedDemoAlbums(storage.db, reviews);
        console.log(albums > 0 ? `added ${albums} well-known albums to review` : 'demo albums already exist');
        console.log(`log in as ana, ben or cleo with the password ${DEMO_PASSWORD}`);
      });
    case 'doctor': {
      const findings = await diagnose(config);
      for (const finding of findings) console.log(`${finding.ok ? 'ok  ' : 'FAIL'} ${finding.part}: ${finding.detail}`);
      if (findings.some((finding) => !finding.ok)) process.exitCode = 1;
      return;
    }
    case 'admin': {
      const [verb, username] = rest;
      if (verb !== 'grant' || !username) throw new ConfigError('usage: riff admin grant <username>');
      return withRiff(config, async ({ storage, accounts }) => {
        const user = await accounts.grantAdmin(storage.db, username);
        console.log(`${user.username} is now an admin`);
      });
    }
    default:
      throw new ConfigError(`unknown command "${command}" (try riff --help)`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof RiffError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`riff: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}`);
  process.exit(known ? 2 : 1);
});
