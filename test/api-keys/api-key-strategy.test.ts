/**
 * ApiKeyStrategy and its parts without HTTP: the key format and its checksum (a wrong one is refused
 * before any lookup), IP ranges (IPv4, IPv6, IPv4-mapped clients), and its configuration checks.
 */
import { expect } from 'chai';
import { str as crc32 } from 'crc-32';
import { ApiKeyStrategy, ApiKeyTransport, AuthConfigurationError, type ApiKeyStore } from '../../src';
import { IpRanges, normaliseRange } from '../../src/api-keys/ip-ranges';
import { ApiKeyFormat } from '../../src/api-keys/key-format';

/** A store that fails the test if the strategy looks anything up. */
function lookupsForbidden(): ApiKeyStore & { lookups: number } {
  const store = {
    lookups: 0,
    async findByDigest() {
      store.lookups++;
      return null;
    },
    readWithOwner: undefined,
    async create() {},
    async get() {
      return null;
    },
    async listForUser() {
      return [];
    },
    async revoke() {
      return null;
    },
    async revokeAllForUser() {
      return 0;
    },
    async touch() {
      return false;
    },
  };
  return store;
}

describe('ApiKeyStrategy without HTTP', () => {
  describe('the key format', () => {
    const format = new ApiKeyFormat('rca');

    it('makes rca_<43 base62>_<6 base62 CRC32 of the random part> keys, each different', () => {
      const keys = new Set(Array.from({ length: 200 }, () => format.generate()));
      expect(keys.size).to.equal(200);
      for (const key of keys) {
        const [prefix, random, checksum] = key.split('_');
        expect(prefix).to.equal('rca');
        expect(random).to.match(/^[0-9A-Za-z]{43}$/);
        let value = crc32(random) >>> 0;
        let expected = '';
        for (let i = 0; i < 6; i++) {
          expected = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[value % 62] + expected;
          value = Math.floor(value / 62);
        }
        expect(checksum).to.equal(expected);
        expect(format.isWellFormed(key)).to.equal(true);
      }
    });

    it('uses the whole alphabet (the random part is not biased to a few characters)', () => {
      const seen = new Set([...Array.from({ length: 100 }, () => format.generate().slice(4, 47)).join('')]);
      expect(seen.size).to.equal(62);
    });

    it('refuses a changed checksum, a changed random character, another prefix, and other lengths', () => {
      const key = format.generate();
      const swap = (text: string, at: number) => text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
      expect(format.isWellFormed(swap(key, key.length - 1))).to.equal(false);
      expect(format.isWellFormed(swap(key, 20))).to.equal(false);
      expect(format.isWellFormed(`ghp${key.slice(3)}`)).to.equal(false);
      expect(format.isWellFormed(key + 'A')).to.equal(false);
      expect(format.isWellFormed(key.slice(0, -1))).to.equal(false);
      expect(format.isWellFormed(key.replace(/_/g, '-'))).to.equal(false);
    });
  });

  describe('reading', () => {
    it('refuses a key with a wrong checksum with API_KEY_INVALID before any lookup', async () => {
      const store = lookupsForbidden();
      const strategy = new ApiKeyStrategy({ store });
      const key = strategy.format.generate();
      const bad = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
      const rejection = await strategy.read(bad, { ip: '127.0.0.1' });
      expect(rejection).to.deep.include({ rejected: 'malformed' });
      expect((rejection as { answer?: { code: string } }).answer?.code).to.equal('API_KEY_INVALID');
      expect(store.lookups).to.equal(0);
      // A well-formed key is looked up (and, unknown, refused alike).
      expect(await strategy.read(key, { ip: '127.0.0.1' })).to.deep.include({ rejected: 'unknown' });
      expect(store.lookups).to.equal(1);
    });

    it('refuses a token of another backend (no prefix) without an API key code, before any lookup', async () => {
      const store = lookupsForbidden();
      const strategy = new ApiKeyStrategy({ store });
      expect(await strategy.read('eyJhbGciOiJIUzI1NiJ9.e30.sig', { ip: undefined })).to.deep.equal({ rejected: 'malformed' });
      expect(store.lookups).to.equal(0);
    });

    it('is not a token writer: login and createToken through it fail as a misconfiguration', async () => {
      const strategy = new ApiKeyStrategy({ store: lookupsForbidden() });
      let error: unknown;
      await strategy.write().catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(AuthConfigurationError);
    });
  });

  describe('IP ranges', () => {
    it('normalises ranges and single addresses to CIDR, IPv4 and IPv6', () => {
      expect(normaliseRange('10.1.2.3/24')).to.equal('10.1.2.0/24');
      expect(normaliseRange('203.0.113.7')).to.equal('203.0.113.7/32');
      expect(normaliseRange('2001:DB8::1/32')).to.equal('2001:db8::/32');
      expect(normaliseRange('::1')).to.equal('::1/128');
      for (const bad of ['', 'localhost', '10.0.0.0/33', '127.1', '0x7f.0.0.1', '1.2.3.4.5', '::g', '2001:db8::/129', 42, null]) {
        expect(normaliseRange(bad), String(bad)).to.equal(undefined);
      }
    });

    it('allows addresses inside a range only, an IPv4-mapped IPv6 client as its IPv4 address', () => {
      const ranges = new IpRanges(['10.1.2.0/24', '2001:db8::/32']);
      expect(ranges.allows('10.1.2.200')).to.equal(true);
      expect(ranges.allows('::ffff:10.1.2.9')).to.equal(true);
      expect(ranges.allows('10.1.3.1')).to.equal(false);
      expect(ranges.allows('2001:db8:ffff::1')).to.equal(true);
      expect(ranges.allows('2001:db9::1')).to.equal(false);
      expect(ranges.allows(undefined)).to.equal(false);
      expect(ranges.allows('garbage')).to.equal(false);
    });
  });

  describe('configuration', () => {
    it('refuses a prefix that would break the format, and nonsense limits', () => {
      for (const prefix of ['', 'a', 'RCA', 'my_key', 'x'.repeat(17), '1ab']) {
        expect(() => new ApiKeyStrategy({ prefix, store: lookupsForbidden() }), prefix).to.throw(AuthConfigurationError);
      }
      expect(() => new ApiKeyStrategy({ maxKeysPerUser: 0, store: lookupsForbidden() })).to.throw(AuthConfigurationError);
      expect(() => new ApiKeyStrategy({ rateLimit: { points: 0, durationSeconds: 60 }, store: lookupsForbidden() })).to.throw(AuthConfigurationError);
      expect(new ApiKeyStrategy({ prefix: 'acme', store: lookupsForbidden() }).format.generate()).to.match(/^acme_/);
    });

    it('ApiKeyTransport refuses a header that is no header name, Authorization itself, and reading nothing', () => {
      expect(() => new ApiKeyTransport({ header: 'X API Key' })).to.throw(AuthConfigurationError);
      expect(() => new ApiKeyTransport({ header: 'Authorization' })).to.throw(AuthConfigurationError);
      expect(() => new ApiKeyTransport({ bearer: false })).to.throw(AuthConfigurationError);
      expect(new ApiKeyTransport({ header: 'X-API-Key', bearer: false }).challenge).to.equal(undefined);
    });
  });
});
