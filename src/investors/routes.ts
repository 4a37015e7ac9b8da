import type { App, AppContext } from '../http/app.ts';

export async function registerInvestorRoutes(_app: App, _ctx: AppContext): Promise<void> {}
