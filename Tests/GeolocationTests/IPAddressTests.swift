import Testing

@testable import Geolocation

@Suite("IPAddress")
struct IPAddressTests {
    @Test(
        "valid addresses parse to their canonical text",
        arguments: [
            ("1.2.3.4", "1.2.3.4"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("130.149.0.1", "130.149.0.1"),
            ("10.0.0.10", "10.0.0.10"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:638::1", "2001:638::1"),
            ("2001:0638:0000:0000:0000:0000:0000:0001", "2001:638::1"),
            ("2001:DB8::A", "2001:db8::a"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8::0:1", "2001:db8::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("fe80::1", "fe80::1"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("::FFFF:130.149.0.1", "130.149.0.1"),
            ("::ffff:8202:1", "130.2.0.1"),
            ("::1.2.3.4", "::102:304"),
            ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ]
    )
    func valid(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.canonicalText == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(
        "invalid text is rejected",
        arguments: [
            "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.02.3.4", "1.2.3.00",
            "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.4/24", "1.2.3.4:80", "1..2.3", ".1.2.3", "1.2.3.",
            "0x1.2.3.4", "1.2.3.4a", "1234.1.1.1", "4294967295", "localhost", "example.com", "garbage",
            ":", ":::", "::1::", "1::2::3", ":1::2", "1::2:", "12345::", "g::1", "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "fe80::1%eth0", "fe80::1%1",
            "[::1]", "[::1]:80", "::ffff:1.2.3", "::ffff:01.2.3.4", "::1.2.3.4:5", "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4", "::ffff:256.1.1.1", "١.٢.٣.٤", "1.2.3.4\u{0}",
            String(repeating: "1", count: 10_000), String(repeating: "1.", count: 5_000) + "1",
            String(repeating: "a:", count: 5_000) + ":",
        ]
    )
    func invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "parsing bytes (any slice) agrees with parsing text",
        arguments: ["1.2.3.4", "2001:db8::1", "::ffff:1.2.3.4", "", "01.2.3.4", "1.2.3.4 ", "fe80::1%eth0", "::g"]
    )
    func bytesAgreeWithText(_ text: String) {
        #expect(IPAddress(bytes: Array(text.utf8)[...]) == IPAddress(text))
        let padded = Array("xx\(text)".utf8).dropFirst(2)
        #expect(IPAddress(bytes: padded) == IPAddress(text))
    }

    @Test("an IPv4-mapped IPv6 address equals the IPv4 address")
    func mapped() throws {
        let mapped = try #require(IPAddress("::ffff:81.2.69.1"))
        #expect(mapped == IPAddress("81.2.69.1"))
        #expect(mapped.isIPv4)
        #expect(try #require(IPAddress("2001:638::1")).isIPv4 == false)
    }

    @Test("description never reveals the address")
    func redacted() throws {
        let v4 = try #require(IPAddress("130.149.0.1"))
        let v6 = try #require(IPAddress("2001:638::1"))
        #expect(!"\(v4)".contains("130"))
        #expect(!"\(v6)".contains("2001"))
        #expect(!String(reflecting: v4).contains("130.149"))
    }

    @Test(
        "isPublic",
        arguments: [
            ("130.149.0.1", true), ("1.1.1.1", true), ("8.8.8.8", true), ("223.255.255.255", true),
            ("100.63.255.255", true), ("100.128.0.0", true), ("172.15.255.255", true), ("172.32.0.0", true),
            ("192.0.1.1", true), ("192.169.0.1", true), ("198.17.255.255", true), ("198.20.0.0", true),
            ("11.0.0.0", true), ("9.255.255.255", true),
            ("0.0.0.0", false), ("0.1.2.3", false), ("10.0.0.1", false), ("10.255.255.255", false),
            ("100.64.0.1", false), ("100.127.255.254", false), ("127.0.0.1", false), ("127.255.0.1", false),
            ("169.254.1.1", false), ("172.16.0.1", false), ("172.31.255.255", false), ("192.0.0.8", false),
            ("192.0.2.1", false), ("192.88.99.1", false), ("192.168.1.1", false), ("198.18.0.1", false),
            ("198.19.255.255", false), ("198.51.100.7", false), ("203.0.113.9", false), ("224.0.0.1", false),
            ("239.255.255.250", false), ("240.0.0.1", false), ("255.255.255.255", false),
            ("::ffff:10.1.2.3", false), ("::ffff:130.149.0.1", true),
            ("2001:638::1", true), ("2a00:1450:4001::1", true), ("2600::1", true), ("3ffe::1", true),
            ("::", false), ("::1", false), ("::1.2.3.4", false), ("64:ff9b::1.2.3.4", false), ("100::1", false),
            ("fc00::1", false), ("fd12:3456::1", false), ("fe80::1", false), ("febf::1", false),
            ("ff02::1", false), ("ff0e::1", false), ("2001:db8::1", false), ("2001:db8:ffff::1", false),
            ("2001::1", false), ("2001:2::1", false), ("2001:1ff::1", false), ("2002:c000:201::1", false),
            ("3fff::1", false), ("3fff:fff::1", false), ("3fff:1000::1", true), ("4000::1", false),
        ]
    )
    func isPublic(text: String, expected: Bool) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isPublic == expected)
    }
}
