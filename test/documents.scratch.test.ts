import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { createTenant, DISTRIBUTOR, startTestServer } from './helpers.ts';

it('scratch', async () => {
  const s = await startTestServer({ documentMaxBytes: 1024 });
  const t = await createTenant(s, 'S');
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(5_000_000, 0x20)]);
  writeFileSync('/tmp/big.pdf', big);
  writeFileSync('/tmp/ok.pdf', Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(100, 0x20)]));
  const url = `${s.url}${DISTRIBUTOR}/documents/`;
  const auth = `authorization: Bearer ${t.distributor.token}`;
  const run = (...args: string[]) => {
    try {
      return execFileSync('curl', ['-sS', '-i', ...args], { encoding: 'utf8' });
    } catch (e) {
      return String(e);
    }
  };
  console.log('CHUNKED BIG\n', run('-H', auth, '-H', 'transfer-encoding: chunked', '-F', 'file=@/tmp/big.pdf', url));
  console.log('BIG\n', run('-H', auth, '-F', 'file=@/tmp/big.pdf', url));
  console.log('OK curl\n', run('-H', auth, '-F', 'file=@/tmp/ok.pdf', url));
  console.log(
    'FOUR FILES\n',
    run(
      '-H',
      auth,
      '-F',
      'file=@/tmp/ok.pdf',
      '-F',
      'a=@/tmp/ok.pdf',
      '-F',
      'b=@/tmp/ok.pdf',
      '-F',
      'c=@/tmp/ok.pdf',
      url,
    ),
  );
  console.log('PLAIN\n', run('-H', auth, '-H', 'content-type: text/plain', '--data-binary', '@/tmp/big.pdf', url));
  console.log('NO CT\n', run('-H', auth, '-H', 'content-type:', '--data-binary', '@/tmp/ok.pdf', url));
  const list = await t.distributor.get(`${DISTRIBUTOR}/documents/`);
  const id = list.body.results[0].id;
  console.log('HEAD\n', run('-I', '-H', auth, `${url}${id}/content/`));
  console.log(
    '304\n',
    run('-H', auth, '-H', `if-none-match: "${list.body.results[0].sha256}"`, `${url}${id}/content/`),
  );
  const spec = await s.api.get('/api/external/openapi.json');
  console.log(JSON.stringify(spec.body.paths[`${DISTRIBUTOR}/documents/`], null, 1).slice(0, 3000));
  console.log(JSON.stringify(spec.body.paths[`${DISTRIBUTOR}/documents/{id}/content/`], null, 1).slice(0, 3000));
  await s.close();
});
