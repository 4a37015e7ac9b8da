// Page tests drive Debian's Chromium (never a browser downloaded by a test tool). `npm test` runs
// this first: it installs the Debian package when no Chromium is there yet.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);
if (process.env.CHROMIUM_PATH) {
  console.error(`CHROMIUM_PATH=${path} does not exist`);
  process.exit(1);
}
const root = process.getuid?.() === 0;
const apt = (...args) => {
  const [cmd, argv] = root ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
  execFileSync(cmd, argv, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
console.log('installing Debian’s chromium for the page tests');
try {
  try {
    apt('install', '-y', '--no-install-recommends', 'chromium');
  } catch {
    apt('update');
    apt('install', '-y', '--no-install-recommends', 'chromium');
  }
} catch (error) {
  console.error(
    `Chromium is needed for the page tests: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH. ${error.message}`,
  );
  process.exit(1);
}
