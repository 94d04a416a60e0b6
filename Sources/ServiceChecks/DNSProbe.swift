import Foundation

/// `dns`: the name resolved by the system resolver (getaddrinfo), or asked of a given server over UDP with a
/// query built here, so that the rcode is seen: NXDOMAIN, SERVFAIL, REFUSED and timeout are told apart.
public struct DNSProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let name = target.check.host
        let options = target.options
        let answers: [String]
        if let server = options.dnsServer {
            let (host, port) = splitHostPort(server, defaultPort: 53)
            m.facts["server"] = "\(host):\(port)"
            m.resolver = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            guard case .success(let addresses) = await resolve(host, port: port, udp: true) else {
                m.phase("resolve")
                return m.finish(reason: "dns_server_unresolvable")
            }
            let type: UInt16 = options.dnsType.uppercased() == "AAAA" ? 28 : 1
            let id = UInt16.random(in: 0...UInt16.max)
            let query = DNSMessage.query(id: id, name: name, type: type)
            let exchanged = await udpExchange(addresses[0], query, deadline: deadline) { reply in
                reply.count >= 12 && UInt16(reply[0]) << 8 | UInt16(reply[1]) == id
            }
            m.phase("resolve")
            switch exchanged {
            case .failure(let failure):
                m.facts["error"] = failure.message
                // ECONNREFUSED: an ICMP port unreachable came back — nothing listens there. An answer with
                // rcode REFUSED (below) is a server that listens and will not answer: a different fault.
                return m.finish(reason: failure.errno == ECONNREFUSED ? "dns_port_closed" : "dns_error")
            case .success(nil):
                return m.finish(reason: "dns_timeout")
            case .success(let reply?):
                guard let parsed = DNSMessage.parse(reply.reply) else { return m.finish(reason: "dns_malformed") }
                m.facts["rcode"] = DNSMessage.rcodeName(parsed.rcode)
                switch parsed.rcode {
                case 0: answers = parsed.addresses
                case 2: return m.finish(reason: "servfail")
                case 3: return m.finish(reason: "nxdomain")
                case 5: return m.finish(reason: "dns_refused")
                default: return m.finish(reason: "dns_rcode_\(parsed.rcode)")
                }
            }
        } else {
            m.facts["server"] = "system"
            let family = options.dnsType.uppercased() == "AAAA" ? AF_INET6 : AF_INET
            let result = await resolve(name, port: 0, family: family)
            m.phase("resolve")
            switch result {
            case .success(let addresses): answers = addresses.map(\.text)
            case .failure(let error): return await m.failResolving(error, name: name, deadline: deadline)
            }
        }
        m.facts["answers"] = answers.joined(separator: ",")
        if answers.isEmpty { return m.finish(reason: "no_answer") }
        if let expected = options.expectAddress, !answers.contains(expected) { return m.finish(reason: "answer_mismatch") }
        return m.finish(reason: nil)
    }
}

/// Just enough of RFC 1035 to ask one question and read the rcode and A/AAAA answers.
enum DNSMessage {
    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return bytes
    }

    struct Parsed {
        var rcode: Int
        var addresses: [String]
    }

    static func parse(_ m: [UInt8]) -> Parsed? {
        guard m.count >= 12, m[2] & 0x80 != 0 else { return nil }
        let rcode = Int(m[3] & 0x0f)
        let questions = Int(m[4]) << 8 | Int(m[5])
        let answerCount = Int(m[6]) << 8 | Int(m[7])
        var i = 12
        func skipName() -> Bool {
            while i < m.count {
                let length = Int(m[i])
                if length == 0 { i += 1; return true }
                if length & 0xc0 == 0xc0 { i += 2; return true }
                i += 1 + length
            }
            return false
        }
        for _ in 0..<questions {
            guard skipName() else { return nil }
            i += 4
        }
        var addresses: [String] = []
        for _ in 0..<answerCount {
            guard skipName(), i + 10 <= m.count else { break }
            let type = Int(m[i]) << 8 | Int(m[i + 1])
            let length = Int(m[i + 8]) << 8 | Int(m[i + 9])
            i += 10
            guard i + length <= m.count else { break }
            let data = Array(m[i..<i + length])
            if type == 1, length == 4 {
                addresses.append(data.map(String.init).joined(separator: "."))
            } else if type == 28, length == 16 {
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, data, &text, socklen_t(text.count))
                addresses.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            i += length
        }
        return Parsed(rcode: rcode, addresses: addresses)
    }

    static func rcodeName(_ rcode: Int) -> String {
        switch rcode {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: String(rcode)
        }
    }
}
