import { html, Layout } from './render.tsx';

const TITLES: Record<number, string> = {
  400: 'Please check your input',
  401: 'Not logged in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible now',
  410: 'This link has expired',
};

export function errorPage(status: number, message: string): string {
  return html(
    <Layout title={TITLES[status] ?? 'Something went wrong'} area="Kontor" problem={message}>
      <p>
        <a href="/studio/">Studio</a>
      </p>
    </Layout>,
  );
}
