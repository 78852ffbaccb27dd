/**
 * The kind of authentication factor each RFC 8176 `amr` value proves, for `@Authorized({ factors })`.
 * Knowledge: `pwd`, `pin`, `kba`. Possession: `otp` (a TOTP or recovery code), `hwk` / `swk`
 * (a hardware / software key, e.g. a passkey), `sms`, `tel`, `sc`, `pop`. Inherence: biometrics
 * (`fpt`, `face`, `iris`, `retina`, `vbm`). `fed` (a provider's sign-in, whose own factors we cannot
 * see) counts as one factor of its own kind; `mfa` (a provider's claim of several) counts as two.
 * Unknown values count as nothing: a factor is never assumed.
 */
const FACTOR_KIND: Readonly<Record<string, 'knowledge' | 'possession' | 'inherence' | 'federated'>> = Object.freeze({
  pwd: 'knowledge',
  pin: 'knowledge',
  kba: 'knowledge',
  otp: 'possession',
  hwk: 'possession',
  swk: 'possession',
  sms: 'possession',
  tel: 'possession',
  sc: 'possession',
  pop: 'possession',
  fpt: 'inherence',
  face: 'inherence',
  iris: 'inherence',
  retina: 'inherence',
  vbm: 'inherence',
  fed: 'federated',
});

/** How many distinct factor kinds a sign-in's `amr` proves (two `otp`s are one factor). */
export function factorCount(amr: readonly string[] | undefined): number {
  if (!amr) return 0;
  const kinds = new Set<string>();
  for (const value of amr) {
    if (value === 'mfa') {
      kinds.add('mfa:1').add('mfa:2');
      continue;
    }
    const kind = FACTOR_KIND[value];
    if (kind) kinds.add(kind);
  }
  return Math.min(kinds.size, 3);
}
