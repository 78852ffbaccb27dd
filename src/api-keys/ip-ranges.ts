import ipaddr from 'ipaddr.js';

/** The most ranges one key may list: enough for any office, small enough to check on every request. */
export const MAX_ALLOWED_IPS = 32;

/**
 * A range as given (`203.0.113.0/24`, `2001:db8::/32`, or one address), normalised to CIDR; undefined
 * when it is none. An IPv4 range stays IPv4: an IPv4-mapped IPv6 client (`::ffff:203.0.113.7`) is
 * matched against it as the IPv4 address it is.
 */
export function normaliseRange(range: unknown): string | undefined {
  if (typeof range !== 'string' || range.length > 64) return undefined;
  const text = range.trim();
  // Strict forms only: ipaddr.js also reads `0x7f.1` and `127.1` as IPv4, which no one means in a list.
  const v6 = text.includes(':');
  const Family = v6 ? ipaddr.IPv6 : ipaddr.IPv4;
  try {
    if (text.includes('/')) {
      if (!(v6 ? ipaddr.IPv6.isValidCIDR(text) : ipaddr.IPv4.isValidCIDRFourPartDecimal(text))) return undefined;
      const [, bits] = Family.parseCIDR(text);
      return `${Family.networkAddressFromCIDR(text).toString()}/${bits}`;
    }
    if (!(v6 ? ipaddr.IPv6.isValid(text) : ipaddr.IPv4.isValidFourPartDecimal(text))) return undefined;
    return `${Family.parse(text).toString()}/${v6 ? 128 : 32}`;
  } catch {
    return undefined;
  }
}

/** Checks client addresses against a key's ranges, parsed once. */
export class IpRanges {
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  constructor(ranges: readonly string[]) {
    this.ranges = ranges.flatMap((range) => {
      const normal = normaliseRange(range);
      return normal ? [ipaddr.parseCIDR(normal)] : []; // a range that no longer parses allows nothing
    });
  }

  /** True when `ip` is in one of the ranges. An unknown or unparsable address is in none. */
  allows(ip: string | undefined): boolean {
    if (ip === undefined || !ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip); // `::ffff:a.b.c.d` → the IPv4 address
    return this.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}
