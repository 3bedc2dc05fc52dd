/**
 * The few fields of an X.509 certificate that Node's `X509Certificate` (Node 20) does not expose
 * and the pinned-CA check needs: the signature algorithm and each extension's OID, critical flag
 * and value. A minimal DER walk over `cert.raw`: loading an ASN.1 library (@peculiar/x509) would
 * cost the short commands more start-up time than the pinned check saves them.
 */

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** The extension's value (the contents of its OCTET STRING). */
  value: Buffer;
}

export interface CertFields {
  /** OID of the outer signature algorithm. */
  signatureOid: string;
  /** The TBS signature algorithm matches the outer one, byte for byte. */
  algorithmsMatch: boolean;
  extensions: CertExtension[];
}

interface Tlv {
  tag: number;
  /** Offsets of the contents in the buffer, and of the end of the element. */
  start: number;
  end: number;
}

function tlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('truncated');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || start + n > limit) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > limit) throw new Error('truncated');
  return { tag, start, end: start + len };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.start; pos < parent.end; pos = out.at(-1)!.end) out.push(tlv(buf, pos, parent.end));
  return out;
}

function oid(buf: Buffer, t: Tlv): string {
  if (t.tag !== 0x06 || t.end <= t.start) throw new Error('not an OID');
  const first = buf[t.start]!;
  const arcs = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  let value = 0;
  for (let i = t.start + 1; i < t.end; i++) {
    value = value * 128 + (buf[i]! & 0x7f);
    if (!(buf[i]! & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** The certificate's signature algorithm and extensions, or `undefined` when its DER is malformed. */
export function certFields(der: Buffer): CertFields | undefined {
  try {
    const cert = tlv(der, 0, der.length);
    const [tbs, sigAlg] = children(der, cert);
    if (cert.tag !== 0x30 || tbs?.tag !== 0x30 || sigAlg?.tag !== 0x30) return undefined;
    const parts = children(der, tbs);
    let i = parts[0]?.tag === 0xa0 ? 1 : 0; // [0] version
    const tbsAlg = parts[i + 1]; // after the serial number
    if (tbsAlg?.tag !== 0x30) return undefined;
    const extensions: CertExtension[] = [];
    for (i += 6; i < parts.length; i++) {
      if (parts[i]!.tag !== 0xa3) continue;
      const [list] = children(der, parts[i]!);
      if (list?.tag !== 0x30) return undefined;
      for (const ext of children(der, list)) {
        const fields = children(der, ext);
        const critical = fields[1]?.tag === 0x01;
        const value = fields[critical ? 2 : 1];
        if (ext.tag !== 0x30 || !fields[0] || value?.tag !== 0x04) return undefined;
        extensions.push({
          oid: oid(der, fields[0]),
          critical: critical && der[fields[1]!.start] !== 0,
          value: der.subarray(value.start, value.end),
        });
      }
    }
    const algorithmsMatch = der.subarray(tbsAlg.start, tbsAlg.end).equals(der.subarray(sigAlg.start, sigAlg.end));
    return { signatureOid: oid(der, children(der, sigAlg)[0]!), algorithmsMatch, extensions };
  } catch {
    return undefined;
  }
}

/** The key usage bits of a keyUsage extension value (BIT STRING), bit 0 = digitalSignature. */
export function keyUsageBits(value: Buffer): Set<number> | undefined {
  try {
    const bits = tlv(value, 0, value.length);
    if (bits.tag !== 0x03 || bits.end <= bits.start) return undefined;
    const set = new Set<number>();
    for (let i = bits.start + 1; i < bits.end; i++)
      for (let b = 0; b < 8; b++) if (value[i]! & (0x80 >> b)) set.add((i - bits.start - 1) * 8 + b);
    return set;
  } catch {
    return undefined;
  }
}
