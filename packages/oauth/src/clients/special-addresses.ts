/**
 * Which IP addresses a server-side fetch must never reach: the special-use
 * ranges of RFC 6890 and the IANA special-purpose registries (private,
 * loopback, link-local with the cloud metadata address 169.254.169.254,
 * unique-local, multicast, CGNAT, documentation, …). Client ID Metadata
 * Documents make us fetch a URL a stranger chose, so every address the host
 * resolves to is checked here before we connect (draft-ietf-oauth-client-id-
 * metadata-document, "Server Side Request Forgery (SSRF) Attacks").
 *
 * IPv6 is checked the other way round: only global unicast (2000::/3) is
 * public, minus its special blocks, so a range nobody thought of is refused
 * rather than fetched. IPv4 embedded in IPv6 (IPv4-mapped `::ffff:a.b.c.d`,
 * the NAT64 prefix `64:ff9b::/96`) is judged by the IPv4 address it reaches.
 */
import { isIPv4, isIPv6 } from "node:net";

interface Range {
  base: bigint;
  bits: number;
  label: string;
}

const v4 = (cidr: string, label: string): Range => {
  const [address = "", bits = "32"] = cidr.split("/");
  return { base: ipv4ToBigInt(address), bits: Number(bits), label: `${label} (${cidr})` };
};

const v6 = (cidr: string, label: string): Range => {
  const [address = "", bits = "128"] = cidr.split("/");
  return { base: ipv6ToBigInt(address), bits: Number(bits), label: `${label} (${cidr})` };
};

/** IPv4 ranges that are not publicly routable unicast (RFC 6890, RFC 6598, RFC 5737, RFC 2544, RFC 5771, RFC 1112). */
const IPV4_SPECIAL: readonly Range[] = [
  v4("0.0.0.0/8", "this network"),
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "shared address space (CGNAT)"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "IETF protocol assignments"),
  v4("192.0.2.0/24", "documentation"),
  v4("192.88.99.0/24", "6to4 relay anycast"),
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "benchmarking"),
  v4("198.51.100.0/24", "documentation"),
  v4("203.0.113.0/24", "documentation"),
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved"),
];

/** IPv6 ranges with an IPv4 address in their last 32 bits: judged by that address. */
const IPV6_EMBEDDING_IPV4: readonly Range[] = [v6("::ffff:0:0/96", "IPv4-mapped"), v6("64:ff9b::/96", "NAT64")];

/** Named IPv6 ranges outside global unicast, for clearer messages (anything else outside 2000::/3 is refused too). */
const IPV6_NAMED: readonly Range[] = [
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("::/96", "IPv4-compatible (deprecated)"),
  v6("64:ff9b:1::/48", "local-use NAT64"),
  v6("100::/64", "discard-only"),
  v6("fc00::/7", "unique-local"),
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "site-local (deprecated)"),
  v6("ff00::/8", "multicast"),
];

const GLOBAL_UNICAST = v6("2000::/3", "global unicast");

/** Special blocks inside global unicast (RFC 6890, RFC 3849, RFC 9637, RFC 3056). */
const IPV6_GLOBAL_SPECIAL: readonly Range[] = [
  v6("2001::/23", "IETF protocol assignments (Teredo, benchmarking, ORCHID)"),
  v6("2001:db8::/32", "documentation"),
  v6("2002::/16", "6to4"),
  v6("3fff::/20", "documentation"),
];

/**
 * The special-use range `address` falls in, as a label for messages and logs
 * (`"loopback (127.0.0.0/8)"`), or `undefined` when it is a public unicast
 * address a server-side fetch may reach. Anything that is not an IP address
 * (as `node:net` reads one) is refused too. An IPv6 zone (`fe80::1%eth0`)
 * is ignored: the address decides.
 */
export function specialUseRangeOf(address: string): string | undefined {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const unzoned = bare.split("%", 1)[0] ?? "";
  if (isIPv4(unzoned)) return ipv4Special(ipv4ToBigInt(unzoned));
  if (!isIPv6(unzoned)) return "not an IP address";
  const value = ipv6ToBigInt(unzoned);
  for (const range of IPV6_EMBEDDING_IPV4) {
    if (inRange(value, range, 128)) {
      const embedded = ipv4Special(value & 0xffffffffn);
      return embedded === undefined ? undefined : `${range.label} ${embedded}`;
    }
  }
  const named = IPV6_NAMED.find((range) => inRange(value, range, 128));
  if (named !== undefined) return named.label;
  if (!inRange(value, GLOBAL_UNICAST, 128)) return "outside global unicast (2000::/3)";
  return IPV6_GLOBAL_SPECIAL.find((range) => inRange(value, range, 128))?.label;
}

function ipv4Special(value: bigint): string | undefined {
  return IPV4_SPECIAL.find((range) => inRange(value, range, 32))?.label;
}

function inRange(value: bigint, range: Range, width: number): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet) & 0xff), 0n);
}

/** Eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail), as one 128-bit number. */
function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  // A dotted IPv4 tail (`::ffff:127.0.0.1`) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1] !== undefined) {
    const n = Number(ipv4ToBigInt(tail[1]));
    text = `${text.slice(0, -tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...restGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16) || 0), 0n);
}
