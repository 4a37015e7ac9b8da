import type { App, AppContext, Surface } from '../http/app.ts';

export async function registerDocumentRoutes(_app: App, _ctx: AppContext, _surface: Surface): Promise<void> {}
