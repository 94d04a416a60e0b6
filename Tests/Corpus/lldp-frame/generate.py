#!/usr/bin/env python3
# Writes the LLDP frame corpus (hex, one frame per file) next to this script: named cases and 60 mutations of
# ok-full (seed 14). Frames are built byte by byte, independently of the decoder. Run: python3 generate.py
import random
def tlv(t, v):
    h = (t << 9) | len(v)
    return bytes([h >> 8, h & 0xff]) + bytes(v)
mc = bytes([0x01,0x80,0xc2,0,0,0x0e]); sw = bytes([0x02,0x1a,0x2b,0x3c,0x4d,0x5e])
def eth(p, vlan=None, et=0x88cc):
    f = mc + sw
    if vlan is not None: f += bytes([0x81,0,vlan>>8,vlan&0xff])
    return f + bytes([et>>8, et&0xff]) + p
chassis = tlv(1, [4]+list(sw)); port = tlv(2, [5]+list(b"Gi1/0/24")); ttl = tlv(3,[0,0x78]); end = tlv(0,[])
def macphy(mau=54): return tlv(127,[0,0x12,0x0f,1,3,0x6c,0x01,mau>>8,mau&0xff])
def full(vlan=None):
    p = chassis + port + ttl + tlv(4,list(b"uplink to office")) + tlv(5,list(b"sansang-sw1")) + tlv(6,list(b"Example switch OS 1.0"))
    p += tlv(7,[0,0x14,0,4]) + tlv(8,[5,1,198,18,1,2,2,0,0,0,7,0])
    p += tlv(8,[17,2,0x20,0x01,0x0d,0xb8]+[0]*11+[1]+[3,0,0,0,24,2,0x2b,0x06]) + macphy() + tlv(127,[0,0x80,0xc2,1,0,1]) + end
    return eth(p, vlan) + bytes(4)
cases = {
 "ok-full": full(),
 "ok-full-vlan": full(vlan=42),
 "ok-minimal": eth(chassis+port+ttl+end),
 "ok-padding-after-end": eth(chassis+port+ttl+end) + bytes(40),
 "ok-unknown-org-tlv": eth(chassis+port+ttl+tlv(127,[0x00,0x11,0x22,0x33,1,2,3])+end),
 "ok-macphy-10g": eth(chassis+port+ttl+macphy(mau=0)+end),
 "truncatedFrame-empty": b"",
 "truncatedFrame-13-bytes": (mc+sw+bytes([0x88])),
 "truncatedFrame-no-end-tlv": eth(chassis+port+ttl),
 "truncatedFrame-vlan-tag-cut": mc+sw+bytes([0x81,0,0]),
 "notLLDP-ipv4": eth(chassis+port+ttl+end, et=0x0800),
 "notLLDP-double-vlan": eth(bytes([0x81,0,0,5,0x88,0xcc])+chassis+port+ttl+end, vlan=7, et=0x8100),
 "truncatedTLV-port-runs-past-end": eth(chassis+bytes([0x04,0x20,5])),
 "missingMandatoryTLV-port-first": eth(port+chassis+ttl+end),
 "missingMandatoryTLV-no-ttl": eth(chassis+port+end),
 "badTLVLength-ttl-3-bytes": eth(chassis+port+tlv(3,[0,0x78,0])+end),
 "badTLVLength-end-with-value": eth(chassis+port+ttl+tlv(0,[1])),
 "duplicateTLV-system-name": eth(chassis+port+ttl+tlv(5,list(b"a"))+tlv(5,list(b"b"))+end),
 "duplicateTLV-second-chassis": eth(chassis+port+ttl+chassis+end),
}
rng = random.Random(14)
base = full()
for i in range(60):
    f = bytearray(base)
    kind = i % 4
    if kind == 0:
        for _ in range(rng.randint(1,4)):
            j = rng.randrange(14, len(f)); f[j] = rng.randrange(256)
    elif kind == 1:
        f = f[:rng.randrange(0, len(f))]
    elif kind == 2:
        j = rng.randrange(14, len(f)); f[j:j] = bytes(rng.randrange(256) for _ in range(rng.randint(1,8)))
    else:
        a = rng.randrange(14, len(f)); b = rng.randrange(a, min(len(f), a+20)); j = rng.randrange(14, len(f)); f[j:j] = f[a:b]
    cases["mutation-%02d" % i] = bytes(f)
for name, data in cases.items():
    with open(__import__("os").path.join(__import__("os").path.dirname(__file__) or ".", name + ".hex"), "w") as out:
        out.write(data.hex() + "\n")
