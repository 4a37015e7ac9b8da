import type { Principal } from './auth.ts';
import { forbidden } from './errors.ts';

/** The issuer whose objects a caller of the issuer API sees; null for the registrar (all issuers). */
export function issuerScope(principal: Principal): string | null {
  return principal.type === 'registrar' ? null : principal.issuerId!;
}

export function platformScope(principal: Principal): string {
  return principal.platformId!;
}

export function requireRegistrar(principal: Principal, action: string): void {
  if (principal.type !== 'registrar') throw forbidden('registrar_only', `only the registrar may ${action}`);
}
